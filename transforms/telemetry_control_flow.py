"""telemetry-control-flow: a telemetry handler used as a reply channel."""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import (
    call_args,
    call_name,
    def_body,
    enclosing_def,
    enclosing_module,
    module_name,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._locate import CallNames
from ._otp import (
    call_arity,
    def_arity,
    def_name,
    fn_scope,
    is_poll,
    is_self_call,
    leading_atom,
    mfa_label,
    module_definitions,
    private_functions,
    receive_patterns,
    waits_after,
)

ATTACH = frozenset({":telemetry.attach", ":telemetry.attach_many"})
SENDS = frozenset({"send", "Kernel.send", "Process.send", ":erlang.send"})
_ATTACH = CallNames(ATTACH)


class TelemetryControlFlow(Transform):
    """Report functions that attach a telemetry handler and then wait for its message.

    ## What it does
    Reports a `:telemetry.attach/4` or `:telemetry.attach_many/4` call when the handler
    sends a message (`send`, `Process.send`) and the function that attaches it then waits
    in a `receive` — directly, or in a private function of the same module that it calls
    after attaching — for that message. The handler is recognised when it is written
    inline (`fn event, measurements, metadata, config -> ... end`) or captured from the
    same module (`&handle/4`, `&__MODULE__.handle/4`, `&ThisModule.handle/4`). When the
    handler's messages and the receive's patterns are both tagged tuples
    (`{:tag, ...}`), at least one tag must match.

    Not reported: a plain attach at startup, a handler that forwards metrics to a
    process that handles them in `handle_info` (no `receive` in the attaching
    function), a `receive ... after 0` (it drains messages, it does not wait), handlers
    defined in other modules or passed in variables (not analysed), and test files
    (attaching a handler that messages the test process is the documented way to test
    telemetry).

    ## Why
    Telemetry is for observation. Handlers run synchronously in the process that emits
    the event, are detached for good the first time they raise, and events can be
    emitted by any process (or never, when the instrumented code changes). Waiting for a
    handler's message turns an observation hook into control flow: the wait can hang
    until its timeout, pick up an event from an unrelated caller, and breaks silently
    when someone renames or stops emitting the event. Get the result from the code that
    produces it: a return value, `GenServer.call`, or a message sent on purpose.

    ## Example
    Before:

        def run_and_wait(job) do
          me = self()
          :telemetry.attach("wait", [:job, :done], fn _e, m, _md, _c -> send(me, {:done, m}) end, nil)
          Jobs.enqueue(job)

          receive do
            {:done, m} -> {:ok, m}
          after
            5_000 -> {:error, :timeout}
          end
        end

    After (by hand): `Jobs.run(job)` returns the result, or the job process replies to
    a `GenServer.call`.

    ## Fix safety
    No automatic fix: the replacement depends on who produces the result.
    """

    id = "telemetry-control-flow"
    summary = "Telemetry handler used as a callback channel: the attaching function waits for its message"
    fixable = False
    skip_tests = True
    needles = (b":telemetry.attach",)

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter: besides the needle, a finding needs a `receive` call (its
        target identifier is written `receive`) and a call of SENDS in the handler (every
        one of them ends with an identifier written `send`)."""
        return super().could_match(data) and b"receive" in data and b"send" in data

    def check(self, ctx: Context) -> Iterator[Finding]:
        # The attach calls of the query `(call target: (dot)) @call`, in its order,
        # from the byte positions of ":telemetry" instead of a pass over the whole tree.
        for node in _ATTACH.find(ctx.root, ctx.data):
            if call_arity(node) != 4:
                continue
            args = call_args(node)
            if len(args) != 4:
                continue
            fun = enclosing_def(node)
            if fun is None:
                continue
            body = def_body(fun)
            if body is None:
                continue
            module = enclosing_module(fun)
            tags = _handler_tags(args[2], module)
            if tags is None:
                continue  # the handler sends nothing we can see
            privates = private_functions(module)
            scope = fn_scope(node, body)
            for receive, path in waits_after(body, node.end_byte, scope, privates):
                if is_poll(receive):
                    continue  # `after 0` drains the mailbox, it does not wait
                wanted = {leading_atom(p) for p in receive_patterns(receive)}
                if tags and None not in tags and wanted and None not in wanted and not (tags & wanted):
                    continue  # waits for something else
                where = f"at line {receive.start_point[0] + 1}"
                if path:
                    where = f"in {' -> '.join(path)} (line {receive.start_point[0] + 1})"
                yield ctx.finding(
                    node,
                    f"telemetry used as a callback channel: {mfa_label(fun)} attaches a handler that "
                    f"sends a message and then waits for it in the receive {where}; handlers run in "
                    "the emitting process and are detached when they raise, so the wait can hang or "
                    "catch another caller's event; return the result or reply with GenServer.call",
                )
                break


def _handler_tags(handler: Node, module: Node | None) -> set[str | None] | None:
    """Leading atoms of the messages the handler sends (None inside: untagged), or None
    when the handler sends nothing we can see."""
    bodies: list[Node] = []
    if handler.type == "anonymous_function":
        bodies.append(handler)
    elif handler.type == "unary_operator" and operator(handler) == "&":
        clauses = _captured_clauses(handler, module)
        if not clauses:
            return None
        bodies.extend(clauses)
    else:
        return None
    tags: set[str | None] = set()
    for body in bodies:
        for n in walk(body):
            if n.type == "call" and call_name(n) in SENDS:
                args = call_args(n)
                if len(args) < 2 or is_self_call(args[0]):
                    continue
                tags.add(leading_atom(args[1]))
    return tags or None


def _captured_clauses(capture: Node, module: Node | None) -> list[Node]:
    """The clauses of `&name/4`, `&__MODULE__.name/4` or `&ThisModule.name/4`."""
    if module is None or not capture.named_children:
        return []
    inner = capture.named_children[0]
    if inner.type != "binary_operator" or operator(inner) != "/":
        return []
    ref, arity = inner.child_by_field_name("left"), inner.child_by_field_name("right")
    if ref is None or arity is None or arity.type != "integer":
        return []
    name = None
    if ref.type == "identifier":
        name = text_of(ref)
    elif ref.type == "call":
        target = ref.child_by_field_name("target")
        if target is not None and target.type == "dot" and not call_args(ref):
            left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
            own = module_name(module)
            if left is not None and right is not None and (
                text_of(left) == "__MODULE__" or (own is not None and text_of(left) == own)
            ):
                name = text_of(right)
    if name is None:
        return []
    return [d for d in module_definitions(module) if def_name(d) == name and def_arity(d) == int(text_of(arity))]
