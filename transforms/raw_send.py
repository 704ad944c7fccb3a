"""raw-send: a raw send/2 used where OTP gives a guarantee it lacks."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import (
    block_expressions,
    call_args,
    call_name,
    def_body,
    enclosing,
    enclosing_def,
    enclosing_module,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._needles import calls_named, defs_named, is_within, word
from ._otp import (
    MONITOR_CALLS,
    call_arity,
    fn_scope,
    has_after,
    is_poll,
    is_self_call,
    def_name,
    leading_atom,
    local_call_name,
    mfa_label,
    private_functions,
    receive_patterns,
    waits_after,
)

#: call name -> arities that send a message
SENDS: dict[str, frozenset[int]] = {
    "send": frozenset({2}),
    "Kernel.send": frozenset({2}),
    "Process.send": frozenset({3}),
    ":erlang.send": frozenset({2, 3}),
}
CALLS = frozenset({"GenServer.call", ":gen_server.call"})

# Exact pre-filter (see _needles.word). Every call in SENDS has a target identifier, or a
# dot whose right side is an identifier, whose text is exactly `send`. Without `strict`,
# a finding also needs a `GenServer.call`/`:gen_server.call` (the fallback shape: a right
# side exactly `call`) or a `receive` (the request/reply shape: `waits_after` only yields
# calls named `receive`). Identifiers are leaves whose text is their bytes.
_SEND = word("send")
_CALL_OR_RECEIVE = word("call", "receive")


class RawSend(Transform):
    """Report a raw `send` used where OTP gives a guarantee it lacks.

    ## What it does
    Looks at `send/2` (also `Kernel.send/2`, `Process.send/3`, `:erlang.send/2,3`) in
    files outside tests and reports two shapes:

    1. A hand-rolled request/reply: a function sends a message that carries `self()`
       (directly or through a variable bound to `self()` in the same function), and then
       waits for the answer in a `receive ... after` — in the same function, or in a
       private function of the same module that it calls after the send — without
       monitoring the target (no `Process.monitor`/`:erlang.monitor`/`spawn_monitor`
       on the way and no `:DOWN` clause in the receive).
    2. A fallback `send` in the `rescue`/`catch` of a `try` (or of a function body)
       whose protected code calls `GenServer.call`, when the send re-delivers the
       request: it goes to the same target or carries the same message (as written).
       A rescue that notifies some other process of the failure is not a fallback.

    Not reported: plain fire-and-forget notifications, pub/sub fan-out to (monitored)
    subscribers, a worker reporting to its owner, telemetry handlers forwarding to the
    process that attached them, `send(self(), ...)`, `Process.send_after`, and test
    files. For shape 1 also not: a send inside a `receive` clause (a server replying),
    a receive that loops back into the sending function (a process loop), a
    `receive ... after 0` (a mailbox poll, not a wait), a receive without `after`, and a
    send and receive in different processes (one of them inside a `fn`). A module that
    defines its own `send/2` is trusted for unqualified calls.

    With the rule option `strict = true` every send to another process (not
    `self()`) is reported.

    ## Why
    `send` always succeeds: it does not tell whether the target is alive, got the
    message, or will answer. A hand-rolled call that waits with `after` turns a crashed
    or dead server into a full timeout, and a reply that arrives late stays in the
    caller's mailbox forever. `GenServer.call` monitors the target (so a dead server
    fails at once with `:noproc`), tags the reply with a unique ref and drops late
    replies. A fallback `send` after a failed `GenServer.call` is worse: the call may have
    timed out after the request was delivered (the server still handles it), so the
    fallback can duplicate it, and a send to a dead process reports success for a
    message nobody will read.

    ## Example
    Before:

        def fetch(server, key) do
          send(server, {:fetch, self(), key})

          receive do
            {:fetched, value} -> {:ok, value}
          after
            5_000 -> {:error, :timeout}
          end
        end

    After (by hand): make the server a GenServer and use `GenServer.call(server,
    {:fetch, key}, 5_000)`; or `ref = Process.monitor(server)` before the send, match
    `{:DOWN, ^ref, _, _, reason}` in the receive and `Process.demonitor(ref, [:flush])`
    after the reply.

    ## Fix safety
    No automatic fix: the replacement depends on the protocol on the other side.
    """

    id = "raw-send"
    summary = "Raw send used as a request/reply or as a fallback for GenServer.call"
    fixable = False
    skip_tests = True
    default_options: Mapping[str, Any] = {"strict": False}
    needles = (b"send",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        if not isinstance(self.options["strict"], bool):
            raise ValueError(f"rule {self.id}: option 'strict' must be true or false")

    def could_match(self, data: bytes) -> bool:
        if not _SEND.found(data):
            return False
        return self.options["strict"] or _CALL_OR_RECEIVE.found(data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        strict = self.options["strict"]
        local_send: dict[int, bool] = {}
        send_defs: list[Node] | None = None
        memo = _Memo(ctx)
        # Every call named in SENDS ends in `send` (see calls_named), in walk order.
        for node in calls_named(ctx.root, ctx.data, "send"):
            name = call_name(node)
            if name not in SENDS or call_arity(node) not in SENDS[name]:
                continue
            args = call_args(node)
            if len(args) != call_arity(node):
                continue  # piped: the target is not in sight
            target = args[0]
            if is_self_call(target):
                continue
            if name == "send":
                module = enclosing_module(node)
                key = module.id if module is not None else -1
                if key not in local_send:
                    # `defines(module, root, {"send"})`: a def named send in the module
                    # (or, outside any module, in the file).
                    if send_defs is None:
                        send_defs = defs_named(ctx.root, ctx.data, "send")
                    scope = module if module is not None else ctx.root
                    local_send[key] = any(is_within(d, scope) for d in send_defs)
                if local_send[key]:
                    continue
            message = self._fallback(node) or self._request_reply(memo, node, args)
            if message is None and strict:
                message = (
                    f"{name}/{len(args)} to another process (strict): send does not tell whether the "
                    "target is alive or handled the message; use GenServer.call/cast, or monitor "
                    "the target"
                )
            if message is not None:
                yield ctx.finding(node, message)

    # -- (2) fallback after a failed GenServer.call --------------------------------------
    def _fallback(self, send: Node) -> str | None:
        fun = enclosing_def(send)
        n = send.parent
        while n is not None and n != fun:
            if n.type in ("rescue_block", "catch_block"):
                block = n.parent
                if block is not None and block.type == "do_block":
                    for expr in block_expressions(block):
                        for c in walk(expr):
                            if (
                                c.type == "call"
                                and call_name(c) in CALLS
                                and fn_scope(c, block) is None
                                and _same_delivery(c, send)
                            ):
                                kind = "rescue" if n.type == "rescue_block" else "catch"
                                return (
                                    f"fallback send in the {kind} of a failed {call_name(c)} "
                                    f"(line {c.start_point[0] + 1}): the call may have failed after "
                                    "its request was delivered (a timeout), so this can duplicate it, "
                                    "and a send to a dead process reports success; let the failure "
                                    "propagate or return an error"
                                )
            n = n.parent
        return None

    # -- (1) hand-rolled request/reply ---------------------------------------------------
    def _request_reply(self, memo: "_Memo", send: Node, args: list[Node]) -> str | None:
        fun = enclosing_def(send)
        if fun is None:
            return None
        body = def_body(fun)
        if body is None:
            return None
        module = enclosing_module(fun)
        if not memo.has_receive(module if module is not None else fun):
            # waits_after only yields `receive` calls in this function's body or in the
            # private functions of its module: there is none, so nothing below can fire.
            return None
        if not _carries_self(args[1], fun, memo):
            return None
        if enclosing(send, lambda n: n == fun or call_name(n) == "receive") != fun:
            return None  # replying to a message it received: the server side of a protocol
        own = mfa_label(fun)
        scope = fn_scope(send, body)
        privates = memo.private_functions(module)
        for receive, path in waits_after(body, send.end_byte, scope, privates):
            if not has_after(receive) or is_poll(receive):
                continue
            if own in path or _calls_back(receive, def_name(fun)):
                return None  # a loop back into this function: a receive loop, not a call
            if _monitors(fun) or _watches_down(receive) or any(
                _monitors(d) for name in (p.split("/")[0] for p in path) for d in privates.get(name, [])
            ):
                return None
            where = f"at line {receive.start_point[0] + 1}"
            if path:
                where = f"in {path[-1]} (line {receive.start_point[0] + 1})"
            return (
                f"hand-rolled request/reply: the answer is awaited in receive ... after {where} "
                "but the target is not monitored, so a dead target costs the whole timeout and a "
                "late reply stays in the mailbox; use GenServer.call, or Process.monitor the target "
                "and handle :DOWN"
            )
        return None


def _same_delivery(call: Node, send: Node) -> bool:
    """The send re-delivers the call's request: same target or same message (as written)."""
    request, delivery = call_args(call), call_args(send)
    if len(request) < 2 or len(delivery) < 2:
        return False
    return _norm(request[0]) == _norm(delivery[0]) or _norm(request[1]) == _norm(delivery[1])


def _norm(node: Node) -> str:
    return "".join(text_of(node).split())


class _Memo:
    """What one check computes once per file, module or function (pure functions of the
    tree, so caching them changes nothing)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._receives: list[Node] | None = None
        self._privates: dict[int, dict[str, list[Node]]] = {}
        self._self_vars: dict[int, set[str]] = {}

    def has_receive(self, scope: Node) -> bool:
        """A call named `receive` under `scope` (found from the bytes, see calls_named)."""
        if self._receives is None:
            self._receives = [
                c for c in calls_named(self.ctx.root, self.ctx.data, "receive") if call_name(c) == "receive"
            ]
        return any(is_within(c, scope) for c in self._receives)

    def private_functions(self, module: Node | None) -> dict[str, list[Node]]:
        key = module.id if module is not None else -1
        if key not in self._privates:
            self._privates[key] = private_functions(module)
        return self._privates[key]

    def self_vars(self, fun: Node) -> set[str]:
        if fun.id not in self._self_vars:
            self._self_vars[fun.id] = _self_vars(fun)
        return self._self_vars[fun.id]


def _self_vars(fun: Node) -> set[str]:
    """Variables bound to `self()` in a function: `me = self()`."""
    out = set()
    for n in walk(fun):
        if n.type == "binary_operator" and operator(n) == "=":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier" and is_self_call(right):
                out.add(text_of(left))
    return out


def _carries_self(message: Node, fun: Node, memo: _Memo) -> bool:
    names = None
    for n in walk(message):
        if is_self_call(n):
            return True
        if n.type == "identifier":
            if names is None:
                names = memo.self_vars(fun)
            if text_of(n) in names:
                return True
    return False


def _calls_back(receive: Node, name: str | None) -> bool:
    """The receive calls the sending function again: a process loop."""
    return name is not None and any(local_call_name(n) == name for n in walk(receive))


def _monitors(fun: Node) -> bool:
    return any(n.type == "call" and call_name(n) in MONITOR_CALLS for n in walk(fun))


def _watches_down(receive: Node) -> bool:
    return any(leading_atom(p) == ":DOWN" for p in receive_patterns(receive))
