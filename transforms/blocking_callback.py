"""blocking-callback: blocking work inside a GenServer callback (directly or via local calls)."""

from __future__ import annotations

import bisect
import re
from collections import deque
from typing import Any, Iterator, Mapping

from tree_sitter import Node, QueryCursor

from otpfix.syntax import (
    arguments_node,
    compile_query,
    effective_args,
    call_args,
    call_name,
    def_body,
    enclosing_def,
    keyword_value,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._locate import CallNames, calls_named, nodes_at, preorder
from ._otp import ModuleGraph, in_quote, innermost_module, local_call_site, module_attributes, uses_behaviour

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
        # The only calls `_sites` can report: receive, the blocking calls, self-calls and
        # the calls with an :infinity timeout.
        self._site_names = CallNames(self._exact | SELF_CALLS | self._infinity | {"receive"}, self._prefixes)

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter: besides a needle, the file must define a callback: every
        finding is on a path from a clause named in CALLBACKS (its head's identifier is
        written `init` or `handle_...`)."""
        return super().could_match(data) and (b"handle_" in data or b"init" in data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for module in _genserver_modules(ctx.root, ctx.data):
            yield from self._check_module(ctx, module)

    # -- per module ----------------------------------------------------------------------
    def _check_module(self, ctx: Context, module: Node) -> Iterator[Finding]:
        graph = _Graph(module, ctx.data)
        attrs = module_attributes(module)
        own = _own_names(module, ctx.data)
        heads = graph.heads  # (`def_head`, `def_params`) of each clause, read once
        entries = [c for c in graph.clauses if _is_callback(c, heads[c.id])]
        best: dict[int, tuple[int, int, Node, str, list[str]]] = {}
        site_cache: dict[int, list[tuple[Node, str]]] = {}
        for order, entry in enumerate(entries):
            label = _entry_label(entry, heads[entry.id])
            # BFS over clauses: shortest path from this callback to each reachable clause.
            paths: dict[int, list[str]] = {entry.id: [label]}
            queue = deque([entry])
            while queue:
                clause = queue.popleft()
                path = paths[clause.id]
                if clause.id not in site_cache:
                    site_cache[clause.id] = list(self._sites(clause, ctx.data, attrs, own))
                sites = list(site_cache[clause.id])
                if clause is entry or clause.id == entry.id:
                    sites += list(self._entry_sites(entry, ctx.data, heads[entry.id]))
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

    def _sites(
        self, clause: Node, data: bytes, attrs: dict[str, Node], own: set[str]
    ) -> Iterator[tuple[Node, str]]:
        """Blocking sites in one clause's body: (node, kind-and-description).

        What a pre-order walk of the body that does not enter code run elsewhere or
        `quote` finds, without walking it: only calls named in `_site_names` can be
        sites, so those are the candidates (in pre-order), and a candidate is dropped
        when it or a node between it and the body is one the walk would not enter."""
        body = def_body(clause)
        if body is None:
            return
        for n in _calls_in(body, data, self._site_names):
            if _pruned(n, body, quote=True):
                continue
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
            args = effective_args(n)
            if self.options["self_call"] and name in SELF_CALLS and args:
                target = _normalize(text_of(args[0]))
                if target in own:
                    yield n, f"self:{name}:{target}"
                    continue
            if name in self._infinity and any(
                a.type == "atom" and text_of(a) == ":infinity" for a in args[1:]
            ):
                yield n, f"infinity:{name}"

    def _entry_sites(self, entry: Node, data: bytes, head: tuple) -> Iterator[tuple[Node, str]]:
        """`fun.()` / `apply(fun, args)` on a function received in a handle_call request
        (`head`: the entry's `def_head` and `def_params`)."""
        if not self.options["caller_fun"]:
            return
        info, params = head
        if info is None or info[0] != "handle_call" or len(params) != 3:
            return
        received = {
            text_of(n) for n in walk(params[0]) if n.type == "identifier" and not text_of(n).startswith("_")
        }
        body = def_body(entry)
        if body is None or not received:
            return
        # Only `fun.(...)` for a received `fun` and `apply` can be reported (see `_sites`).
        for n in _calls_in(body, data, CallNames({f"{r}." for r in received} | {"apply"})):
            if _pruned(n, body, quote=False):
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


class _Graph(ModuleGraph):
    """`ModuleGraph(module, skip=_runs_elsewhere)` whose `calls` finds the local calls of
    a clause without walking its body: the candidates (calls with an identifier target,
    `&` operators) come from one query over the module, in pre-order, and the subtrees
    `local_calls` would skip (functions handed to another process) are byte ranges
    found from the names of the calls that take them (ELSEWHERE)."""

    def __init__(self, module: Node, data: bytes) -> None:
        super().__init__(module, skip=_runs_elsewhere)
        self._data = data
        self._candidates: list[Node] | None = None
        self._starts: list[int] = []
        self._skipped: list[tuple[int, int]] = []

    def _prepare(self) -> None:
        cursor = QueryCursor(compile_query(_LOCAL_CALLS_QUERY))
        found = cursor.captures(self.module)
        nodes = list(found.get("call", [])) + list(found.get("capture", []))
        self._candidates = preorder(nodes)
        self._starts = [n.start_byte for n in self._candidates]
        skipped = set()
        for call in calls_named(self.module, self._data, ELSEWHERE, self.module.start_byte, self.module.end_byte):
            args = arguments_node(call)
            for child in args.named_children if args is not None else ():
                if _runs_elsewhere(child):
                    skipped.add((child.start_byte, child.end_byte))
        self._skipped = sorted(skipped)

    def _local_calls(self, body: Node) -> Iterator[tuple[Node, str, int]]:
        """What `local_calls(body, _runs_elsewhere)` yields, in the same order, for the
        names the module defines (`calls` resolves no other name).

        A node is under (or is) a skipped node exactly when its byte range lies in the
        skipped node's: no candidate has the range of a strictly larger ancestor of a
        skipped `fn`/`&` (a call or `&` around it starts before it). Skipped nodes that
        are not inside the body are not its descendants: the walk never meets them."""
        if self._candidates is None:
            self._prepare()
        assert self._candidates is not None
        lo, hi = body.start_byte, body.end_byte
        skipped = [(s, e) for s, e in self._skipped if lo <= s and e <= hi]
        i = bisect.bisect_left(self._starts, lo)
        candidates = self._candidates
        while i < len(candidates) and candidates[i].start_byte < hi:
            n = candidates[i]
            i += 1
            if n.end_byte > hi or any(s <= n.start_byte and n.end_byte <= e for s, e in skipped):
                continue
            site = local_call_site(n, self._by_name)
            if site is not None:
                yield n, site[0], site[1]


# Every node `local_calls` can yield: calls whose target is an identifier, `&` operators.
_LOCAL_CALLS_QUERY = """
(call target: (identifier)) @call
(unary_operator) @capture
"""


def _calls_in(body: Node, data: bytes, names: CallNames) -> list[Node]:
    """The calls under `body` (itself included) with one of `names`, in pre-order; when
    the names cannot be looked for by their bytes (one starts with "."), every call under
    `body`: the caller tests the names anyway."""
    try:
        return names.find(body, data, body.start_byte, body.end_byte)
    except ValueError:
        return [n for n in walk(body) if n.type == "call"]


def _pruned(node: Node, body: Node, quote: bool) -> bool:
    """Would a pre-order walk from `body` that skips code run elsewhere (and `quote`
    calls, with `quote`) without entering it never reach `node`? Checks `node` and its
    ancestors up to `body`, included."""
    n: Node | None = node
    while n is not None:
        if _runs_elsewhere(n) or (quote and n.type == "call" and call_name(n) == "quote"):
            return True
        if n == body:
            return False
        n = n.parent
    return False


def _genserver_modules(root: Node, data: bytes) -> list[Node]:
    """The modules that `use GenServer` or declare `@behaviour GenServer` (or
    `:gen_server`), outside `quote`, in source order: `modules(root)` filtered by
    `uses_behaviour`, found from the names' byte positions instead of a walk.

    Exact: `uses_behaviour` reads the first argument of a `use` / `@behaviour` statement
    of the module's own body, whose text is one of the names; the smallest named node
    spanning that occurrence is that argument (or a node of the same range inside it), and
    the module is the innermost `defmodule` around it. An occurrence whose node is a child
    of a dot (`GenServer.call`) cannot be that argument: the dot is wider than the word and
    would lie inside an argument that is not."""
    found: dict[int, Node] = {}
    for name in sorted(GENSERVER):
        for node in nodes_at(root, data, name.encode()):
            parent = node.parent
            if parent is None or parent.type == "dot":
                continue
            module = innermost_module(node)
            if module is not None and module.start_byte not in found:
                found[module.start_byte] = module
    return [
        m
        for _start, m in sorted(found.items())
        if not in_quote(m) and uses_behaviour(m, GENSERVER)
    ]


def _is_callback(clause: Node, head: tuple) -> bool:
    """`head`: the clause's `def_head` and `def_params` (`ModuleGraph.heads`)."""
    if call_name(clause) != "def":
        return False
    info, params = head
    return info is not None and CALLBACKS.get(info[0]) == len(params)


def _entry_label(clause: Node, head: tuple) -> str:
    info, params = head
    name = info[0] if info else "?"
    first = _normalize(text_of(params[0])) if params else ""
    if len(first) > 40:
        first = first[:37] + "..."
    return f"{name}({first})"


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


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


_NAMING_CALLS = ("GenServer.start_link", "GenServer.start", "Keyword.put_new", "Keyword.put")


def _own_names(module: Node, data: bytes) -> set[str]:
    """How the server can name itself: __MODULE__, its module name, registered names, self()."""
    own = {"__MODULE__", "self()"}
    args = call_args(module)
    if args and args[0].type == "alias":
        own.add(text_of(args[0]))
    registered = set()
    # The calls of `walk(module)` named so (in pre-order too; the order does not matter).
    for n in calls_named(module, data, _NAMING_CALLS, module.start_byte, module.end_byte):
        if in_quote(n):
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
            cargs = effective_args(n)
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
