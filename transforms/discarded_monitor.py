"""discarded-monitor: `Process.monitor(pid)` whose ref is thrown away."""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import call_args, call_name, def_body, def_head, enclosing_def, operator, text_of, walk
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._needles import calls_named, is_within, walk_order, word
from ._otp import down_tuple, in_quote, value_discarded

MONITOR_CALLS = frozenset({"Process.monitor", ":erlang.monitor"})

# Exact pre-filter (see _needles.word): both shapes need a call named `Process.monitor`
# or `:erlang.monitor`, i.e. a dot whose left side is exactly `Process` or `:erlang` and
# whose right side is exactly `monitor` (identifier, alias and atom leaves).
_MONITOR = word("monitor")


class DiscardedMonitor(Transform):
    """Report `Process.monitor/1` calls whose monitor ref is thrown away.

    ## What it does
    Reports a `Process.monitor(pid)` (also `:erlang.monitor(:process, pid)`, a piped
    `pid |> Process.monitor()`) whose result is certainly discarded:

    - it is a statement that is not the last expression of its body (also inside an
      `if`/`case`/`for` whose own value is discarded);
    - it is bound to `_` or to an underscored name that is never read (`_ref = ...`);
    - it is the function given to `Enum.each`/`Stream.each`
      (`Enum.each(pids, &Process.monitor/1)`, `fn pid -> Process.monitor(pid) end`).

    Not reported: a ref that is bound, stored, passed on or returned (the last expression
    of a function); a function that waits for the monitor's own `:DOWN` in a `receive`
    (the monitor is consumed there); `init/1` (one monitor for the server's lifetime, the
    usual "stop when my owner dies" idiom); code inside `quote`; test files.

    ## Why
    `Process.demonitor/1,2` needs the ref. A monitor whose ref is lost stays active until
    the monitored process dies: a long-lived process that monitors per request or per
    subscription accumulates monitors (see `Process.info(self(), :monitors)`) and later
    receives `:DOWN` messages for processes it no longer cares about.

    ## Example
    Before:

        def handle_call({:subscribe, pid}, _from, state) do
          Process.monitor(pid)
          {:reply, :ok, %{state | subscribers: MapSet.put(state.subscribers, pid)}}
        end

    Better (by hand): keep the ref so that unsubscribe can demonitor it.

        def handle_call({:subscribe, pid}, _from, state) do
          ref = Process.monitor(pid)
          {:reply, :ok, %{state | subscribers: Map.put(state.subscribers, pid, ref)}}
        end

    ## Fix safety
    No automatic fix: where to keep the ref and when to release it is a design decision.
    The rule does not prove a leak either: a process that never stops being interested in
    the monitored process loses nothing by dropping the ref.
    """

    id = "discarded-monitor"
    summary = "Process.monitor/1 result discarded: the monitor can never be demonitored"
    fixable = False
    skip_tests = True
    needles = (b"monitor",)

    def could_match(self, data: bytes) -> bool:
        return _MONITOR.found(data) and (b"Process" in data or b":erlang" in data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        receives: list[Node] | None = None

        def has_down_receive(node: Node, body: Node) -> bool:
            # `_exempt`'s walk of the body for `receive` calls after `node`, with the
            # receive calls found from the bytes.
            nonlocal receives
            if receives is None:
                receives = [c for c in calls_named(ctx.root, ctx.data, "receive") if call_name(c) == "receive"]
            return any(
                r.start_byte > node.start_byte and is_within(r, body) and _waits_for_down(r) for r in receives
            )

        for node in _candidates(ctx):
            if node.type == "call" and call_name(node) in MONITOR_CALLS:
                if not _monitor_call(node) or in_quote(node):
                    continue
                if _discarded(node) and not _exempt(node, has_down_receive):
                    yield ctx.finding(node, _message(node))
            elif node.type == "unary_operator" and operator(node) == "&":
                # Enum.each(pids, &Process.monitor/1)
                inner = node.named_children[-1] if node.named_children else None
                if inner is None or inner.type != "binary_operator" or operator(inner) != "/":
                    continue
                left = inner.child_by_field_name("left")
                if left is None or call_name(left) != "Process.monitor" or in_quote(node):
                    continue
                args = node.parent
                call = args.parent if args is not None and args.type == "arguments" else None
                if call is not None and call_name(call) in ("Enum.each", "Stream.each") and not _exempt(
                    node, has_down_receive
                ):
                    yield ctx.finding(node, _message(node))


def _candidates(ctx: Context) -> list[Node]:
    """The nodes of a whole-tree walk that `check` can act on, in walk order, found from
    the bytes: calls whose name ends in `monitor` (see calls_named; every MONITOR_CALLS
    call is one), and the `&X/n` captures around such a call (the `&Process.monitor/1`
    shape: the capture's `/` has that call as its left side)."""
    out = []
    for call in calls_named(ctx.root, ctx.data, "monitor"):
        out.append(call)
        inner = call.parent
        if inner is None or inner.type != "binary_operator" or inner.child_by_field_name("left") != call:
            continue
        node = inner.parent
        if node is not None and node.type == "unary_operator" and node.named_children[-1] == inner:
            out.append(node)
    return walk_order(out)


def _monitor_call(node: Node) -> bool:
    """A real call (not the `Process.monitor` inside a `&Process.monitor/1` capture)."""
    if not any(c.type == "arguments" for c in node.named_children):
        return False
    if call_name(node) == ":erlang.monitor":
        args = call_args(node)
        return bool(args) and text_of(args[0]) == ":process"
    return True


def _discarded(call: Node) -> bool:
    if value_discarded(call):
        return True
    parent = call.parent
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "=":
        if parent.child_by_field_name("right") != call:
            return False
        left = parent.child_by_field_name("left")
        if left is None or left.type != "identifier":
            return False
        name = text_of(left)
        if name == "_":
            return True
        if name.startswith("_"):
            scope = enclosing_def(call)
            if scope is None:
                return False
            reads = sum(1 for n in walk(scope) if n.type == "identifier" and text_of(n) == name)
            return reads == 1
    return False


def _exempt(node: Node, has_down_receive) -> bool:
    scope = enclosing_def(node)
    if scope is None:
        return True  # module-level or script code: not a long-lived process we know
    info = def_head(scope)
    if info is not None and info[0] == "init":
        return True
    body = def_body(scope)
    if body is None:
        return False
    # The function waits for a :DOWN itself (a `receive` after the monitor in its body
    # with a :DOWN clause): the monitor is consumed there.
    return has_down_receive(node, body)


def _waits_for_down(receive: Node) -> bool:
    return any(m.type == "stab_clause" and _down_stab(m) for m in walk(receive))


def _down_stab(clause: Node) -> bool:
    """A `receive` clause whose pattern is a :DOWN tuple (also under `when`)."""
    head = clause.named_children[0] if clause.named_children else None
    if head is not None and head.type == "binary_operator" and operator(head) == "when":
        head = head.child_by_field_name("left")
    if head is None or head.type != "arguments" or not head.named_children:
        return False
    return down_tuple(head.named_children[0]) is not None


def _message(node: Node) -> str:
    return (
        "Process.monitor result discarded: this monitor can never be released with "
        "Process.demonitor (keep the ref, e.g. in the state, to demonitor it later)"
    )
