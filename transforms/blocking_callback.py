"""blocking-callback: blocking work inside a GenServer callback (directly or via local calls)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import (
    call_args,
    call_name,
    def_body,
    def_head,
    def_params,
    enclosing_def,
    keyword_value,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._otp import ModuleGraph, in_quote, module_attributes, modules, uses_behaviour

CALLBACKS = {"handle_call": 3, "handle_cast": 2, "handle_info": 2, "handle_continue": 2, "init": 1}
GENSERVER = frozenset({"GenServer", ":gen_server"})

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
DEFAULT_CALLS = (
    ["Process.sleep", ":timer.sleep"]
    + [f"HTTPoison.{v}{b}" for v in _VERBS for b in ("", "!")]
    + [f"Req.{v}{b}" for v in _VERBS + ("run",) for b in ("", "!")]
    + ["Finch.request", "Finch.request!", "Finch.stream", "Finch.stream_while"]
    + [f"Tesla.{v}{b}" for v in _VERBS for b in ("", "!")]
    + [":httpc.request"]
    + [f"Mint.{m}.{f}" for m in ("HTTP", "HTTP1", "HTTP2") for f in ("connect", "recv")]
)
DEFAULT_INFINITY_CALLS = (
    "Task.await",
    "Task.await_many",
    "Task.yield",
    "Task.yield_many",
    "GenServer.call",
    ":gen_server.call",
)
SELF_CALLS = frozenset({"GenServer.call", ":gen_server.call"})
# Calls whose function argument runs in another process: not the callback's time.
ELSEWHERE = frozenset(
    {
        "Task.async",
        "Task.start",
        "Task.start_link",
        "Task.async_stream",
        "Task.Supervisor.async",
        "Task.Supervisor.async_nolink",
        "Task.Supervisor.start_child",
        "Task.Supervisor.async_stream",
        "Task.Supervisor.async_stream_nolink",
        "spawn",
        "spawn_link",
        "spawn_monitor",
        "Kernel.spawn",
        "Kernel.spawn_link",
        "Kernel.spawn_monitor",
        "Process.spawn",
        "Agent.get",
        "Agent.update",
        "Agent.get_and_update",
        "Agent.cast",
        "Agent.start",
        "Agent.start_link",
        ":telemetry.attach",
        ":telemetry.attach_many",
    }
)
_TIMER_UNITS = frozenset({":timer.seconds", ":timer.minutes", ":timer.hours"})
ADVICE = (
    "move the work to a Task (Task.Supervisor.async_nolink or start_child) and answer "
    "later with GenServer.reply/2 (or a message)"
)


class BlockingCallback(Transform):
    """Report blocking work inside GenServer callbacks, directly or through local calls.

    ## What it does
    In a module that `use`s `GenServer` (or declares `@behaviour GenServer` /
    `:gen_server`), starts from every clause of `init/1`, `handle_call/3`,
    `handle_cast/2`, `handle_info/2` and `handle_continue/2` and follows the module's own
    call graph (local calls `f(x)`, `x |> f()`, captures `&f/1`, to `def` and `defp`
    functions of the same module; recursion and cycles are fine). It reports:

    - a call from the `calls` option (default: `Process.sleep`, `:timer.sleep`, the
      request functions of HTTPoison, Req, Finch, Tesla, `:httpc.request`,
      `Mint.HTTP.connect/recv`), also as a capture (`&Process.sleep/1`);
    - `receive ... after N` where N is a literal other than 0, `:infinity`, a module
      attribute holding such a literal, or `:timer.seconds(n)`-style;
    - a call from the `infinity_calls` option (`Task.await`, `Task.yield`,
      `GenServer.call`, ...) with an `:infinity` timeout;
    - `GenServer.call` to the server itself (`__MODULE__`, the module's name, a name it
      registers with `name:`, or `self()`): a deadlock that exits with `:calling_self`;
    - in `handle_call/3`, calling a function received in the request (`fun.(...)`,
      `apply(fun, args)`).

    The message shows the path from the callback, e.g.
    `handle_info(:analyze) -> collect/1 -> responsive?/1`. One finding per blocking site,
    with the shortest path. Not reported: functions no callback reaches (client API
    functions run in the caller), function bodies handed to another process (`Task.*`,
    `Task.Supervisor.*`, `spawn*`, `Agent.*`), `receive ... after 0`, timeouts held in
    variables, `quote` blocks, modules that are not GenServers, test files.

    ## Options
    - `calls`: the blocking calls, as written (`"Process.sleep"`, `":httpc.request"`);
      an entry ending in `.*` matches every function of that module (`"MyApp.Repo.*"`).
    - `extra_calls`: added to `calls` (keeps the defaults).
    - `infinity_calls`: calls reported when given an `:infinity` timeout.
    - `receive_after`, `self_call`, `caller_fun`: turn those checks off with `false`.

    ## Why
    A GenServer handles one message at a time. While a callback sleeps, waits for an
    HTTP response or for another process, every other caller waits too, their
    `GenServer.call`s time out (default 5 s) and the mailbox grows. Calling yourself
    never returns. A caller-supplied function can do anything, including calling the
    server back.

    ## Example
    Before:

        def handle_call({:fetch, url}, _from, state) do
          {:reply, HTTPoison.get(url), state}
        end

    Better (by hand):

        def handle_call({:fetch, url}, from, state) do
          Task.Supervisor.start_child(MyApp.TaskSup, fn ->
            GenServer.reply(from, HTTPoison.get(url))
          end)
          {:noreply, state}
        end

    ## Fix safety
    No automatic fix: moving work out of the server changes ordering and failure
    handling. The rule follows local calls only (not other modules, not `apply/3`), so
    blocking work behind another module is not seen; and a reported call can be
    harmless when the callback is rare and the server has no other clients.
    """

    id = "blocking-callback"
    summary = "Blocking call (sleep, HTTP, :infinity wait, self-call) inside a GenServer callback"
    fixable = False
    skip_tests = True
    needles = (b"GenServer", b":gen_server")
    default_options: Mapping[str, Any] = {
        "calls": tuple(DEFAULT_CALLS),
        "extra_calls": (),
        "infinity_calls": DEFAULT_INFINITY_CALLS,
        "receive_after": True,
        "self_call": True,
        "caller_fun": True,
    }

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        for key in ("calls", "extra_calls", "infinity_calls"):
            value = self.options[key]
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"rule {self.id}: option {key!r} must be a list of strings")
        for key in ("receive_after", "self_call", "caller_fun"):
            if not isinstance(self.options[key], bool):
                raise ValueError(f"rule {self.id}: option {key!r} must be true or false")
        names = list(self.options["calls"]) + list(self.options["extra_calls"])
        self._exact = frozenset(n for n in names if not n.endswith(".*"))
        self._prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
        self._infinity = frozenset(self.options["infinity_calls"])

    def check(self, ctx: Context) -> Iterator[Finding]:
        for module in modules(ctx.root):
            if not uses_behaviour(module, GENSERVER):
                continue
            yield from self._check_module(ctx, module)

    # -- per module ----------------------------------------------------------------------
    def _check_module(self, ctx: Context, module: Node) -> Iterator[Finding]:
        graph = ModuleGraph(module, skip=_runs_elsewhere)
        attrs = module_attributes(module)
        own = _own_names(module)
        entries = [c for c in graph.clauses if _is_callback(c)]
        best: dict[int, tuple[int, int, Node, str, list[str]]] = {}
        site_cache: dict[int, list[tuple[Node, str]]] = {}
        for order, entry in enumerate(entries):
            label = _entry_label(entry)
            # BFS over clauses: shortest path from this callback to each reachable clause.
            paths: dict[int, list[str]] = {entry.id: [label]}
            queue = deque([entry])
            while queue:
                clause = queue.popleft()
                path = paths[clause.id]
                if clause.id not in site_cache:
                    site_cache[clause.id] = list(self._sites(clause, attrs, own))
                sites = list(site_cache[clause.id])
                if clause is entry or clause.id == entry.id:
                    sites += list(self._entry_sites(entry))
                for node, what in sites:
                    key = node.start_byte
                    rank = (len(path), order)
                    if key not in best or rank < best[key][:2]:
                        best[key] = (len(path), order, node, what, path)
                for _call, name, arity, targets in graph.calls(clause):
                    for target in targets:
                        if target.id not in paths:
                            paths[target.id] = path + [f"{name}/{arity}"]
                            queue.append(target)
        for _len, _order, node, what, path in sorted(best.values(), key=lambda b: b[2].start_byte):
            yield ctx.finding(node, _message(what, path))

    def _sites(self, clause: Node, attrs: dict[str, Node], own: set[str]) -> Iterator[tuple[Node, str]]:
        """Blocking sites in one clause's body: (node, kind-and-description)."""
        body = def_body(clause)
        if body is None:
            return
        stack = [body]
        while stack:
            n = stack.pop()
            if _runs_elsewhere(n) or (n.type == "call" and call_name(n) == "quote"):
                continue
            stack.extend(reversed(n.children))
            if n.type == "call":
                name = call_name(n)
                if name is None:
                    continue
                if name == "receive":
                    if self.options["receive_after"]:
                        timeout = _after_timeout(n, attrs)
                        if timeout is not None:
                            yield n, f"receive:{timeout}"
                    continue
                has_args = any(c.type == "arguments" for c in n.named_children)
                if not has_args:
                    parent = n.parent
                    # &Process.sleep/1
                    if parent is not None and parent.type == "binary_operator" and operator(parent) == "/":
                        if self._blocking_name(name):
                            yield n, f"call:{name}"
                    continue
                if self._blocking_name(name):
                    yield n, f"call:{name}"
                    continue
                args = _piped_args(n)
                if self.options["self_call"] and name in SELF_CALLS and args:
                    target = _normalize(text_of(args[0]))
                    if target in own:
                        yield n, f"self:{name}:{target}"
                        continue
                if name in self._infinity and any(
                    a.type == "atom" and text_of(a) == ":infinity" for a in args[1:]
                ):
                    yield n, f"infinity:{name}"

    def _entry_sites(self, entry: Node) -> Iterator[tuple[Node, str]]:
        """`fun.()` / `apply(fun, args)` on a function received in a handle_call request."""
        if not self.options["caller_fun"]:
            return
        info = def_head(entry)
        params = def_params(entry)
        if info is None or info[0] != "handle_call" or len(params) != 3:
            return
        received = {
            text_of(n) for n in walk(params[0]) if n.type == "identifier" and not text_of(n).startswith("_")
        }
        body = def_body(entry)
        if body is None or not received:
            return
        stack = [body]
        while stack:
            n = stack.pop()
            if _runs_elsewhere(n):
                continue
            stack.extend(reversed(n.children))
            if n.type != "call":
                continue
            name = call_name(n)
            if name and name.endswith(".") and name[:-1] in received:
                yield n, f"fun:{name}()"
            elif name == "apply":
                args = call_args(n)
                if len(args) == 2 and args[0].type == "identifier" and text_of(args[0]) in received:
                    yield n, f"fun:apply({text_of(args[0])}, ...)"

    def _blocking_name(self, name: str) -> bool:
        return name in self._exact or any(name.startswith(p) for p in self._prefixes)


def _is_callback(clause: Node) -> bool:
    if call_name(clause) != "def":
        return False
    info = def_head(clause)
    return info is not None and CALLBACKS.get(info[0]) == len(def_params(clause))


def _entry_label(clause: Node) -> str:
    info = def_head(clause)
    params = def_params(clause)
    name = info[0] if info else "?"
    first = _normalize(text_of(params[0])) if params else ""
    if len(first) > 40:
        first = first[:37] + "..."
    return f"{name}({first})"


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _piped_args(call: Node) -> list[Node]:
    args = call_args(call)
    parent = call.parent
    if (
        parent is not None
        and parent.type == "binary_operator"
        and operator(parent) == "|>"
        and parent.child_by_field_name("right") == call
    ):
        left = parent.child_by_field_name("left")
        if left is not None:
            return [left] + args
    return args


def _runs_elsewhere(node: Node) -> bool:
    """A function argument (`fn`, `&f/1`) of a call that runs it in another process."""
    if node.type not in ("anonymous_function", "unary_operator"):
        return False
    if node.type == "unary_operator" and operator(node) != "&":
        return False
    args = node.parent
    if args is None or args.type != "arguments":
        return False
    call = args.parent
    return call is not None and call_name(call) in ELSEWHERE


def _after_timeout(receive: Node, attrs: dict[str, Node]) -> str | None:
    """The `after` timeout of a receive when it is certainly not 0, as written."""
    block = next((c for c in receive.named_children if c.type == "do_block"), None)
    if block is None:
        return None
    after = next((c for c in block.named_children if c.type == "after_block"), None)
    if after is None:
        return None
    clause = next((c for c in after.named_children if c.type == "stab_clause"), None)
    if clause is None or not clause.named_children or clause.named_children[0].type != "arguments":
        return None
    args = clause.named_children[0].named_children
    if len(args) != 1:
        return None
    value = args[0]
    written = _normalize(text_of(value))
    if value.type == "unary_operator" and operator(value) == "@":
        inner = value.named_children[-1] if value.named_children else None
        if inner is None or inner.type != "identifier" or text_of(inner) not in attrs:
            return None
        value = attrs[text_of(inner)]
    if _nonzero_timeout(value):
        return written
    return None


def _nonzero_timeout(value: Node) -> bool:
    if value.type == "atom":
        return text_of(value) == ":infinity"
    if value.type == "integer":
        try:
            return int(text_of(value).replace("_", ""), 0) != 0
        except ValueError:
            return False
    if value.type == "call" and call_name(value) in _TIMER_UNITS:
        args = call_args(value)
        return len(args) == 1 and args[0].type == "integer" and _nonzero_timeout(args[0])
    return False


def _own_names(module: Node) -> set[str]:
    """How the server can name itself: __MODULE__, its module name, registered names, self()."""
    own = {"__MODULE__", "self()"}
    args = call_args(module)
    if args and args[0].type == "alias":
        own.add(text_of(args[0]))
    registered = set()
    for n in walk(module):
        if n.type != "call" or in_quote(n):
            continue
        name = call_name(n)
        if name in ("GenServer.start_link", "GenServer.start"):
            cargs = call_args(n)
            if len(cargs) >= 3 and cargs[0].type in ("alias", "identifier") and _normalize(text_of(cargs[0])) in own:
                value = keyword_value(cargs[-1], "name")
                if value is not None:
                    registered.add(_normalize(text_of(value)))
        elif name in ("Keyword.put_new", "Keyword.put"):
            # start_link(opts): GenServer.start_link(__MODULE__, arg, Keyword.put_new(opts, :name, X))
            cargs = _piped_args(n)
            scope = enclosing_def(n)
            if len(cargs) == 3 and text_of(cargs[1]) == ":name" and scope is not None and _starts_self(scope, own):
                registered.add(_normalize(text_of(cargs[2])))
    for r in registered:
        if re.fullmatch(r"[A-Z][\w.]*|:\w+|__MODULE__", r):
            own.add(r)
    return own


def _starts_self(scope: Node, own: set[str]) -> bool:
    for n in walk(scope):
        if n.type == "call" and call_name(n) in ("GenServer.start_link", "GenServer.start"):
            cargs = call_args(n)
            if cargs and _normalize(text_of(cargs[0])) in own:
                return True
    return False


def _message(what: str, path: list[str]) -> str:
    route = " -> ".join(path)
    kind, _, detail = what.partition(":")
    if kind == "call":
        return f"blocking call {detail} in a GenServer callback ({route}): the server handles nothing else meanwhile; {ADVICE}"
    if kind == "receive":
        return (
            f"receive ... after {detail} in a GenServer callback ({route}): the server waits "
            f"instead of handling its mailbox; {ADVICE}"
        )
    if kind == "infinity":
        return f"{detail} with an :infinity timeout in a GenServer callback ({route}): the server can block forever; {ADVICE}"
    if kind == "self":
        name, _, target = detail.partition(":")
        return (
            f"{name} to the server's own name ({target}) from its callback ({route}): "
            "it deadlocks (exits with :calling_self); call the implementation directly instead"
        )
    return (
        f"handle_call runs the caller-supplied function {detail} inside the server ({route}): "
        f"it blocks every other client and may call back into the server; run it in the caller, or {ADVICE}"
    )
