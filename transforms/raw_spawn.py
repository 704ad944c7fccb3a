"""raw-spawn: processes started with spawn/spawn_link outside any supervisor."""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import call_args, call_name, enclosing_module
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._needles import calls_named, defs_named, is_within, walk_order, word
from ._otp import call_arity, is_piped_into

#: call name -> (arities, fixable with Task.Supervisor.start_child)
CALLS: dict[str, tuple[frozenset[int], bool]] = {
    "spawn": (frozenset({1, 3}), True),
    "Kernel.spawn": (frozenset({1, 3}), True),
    "spawn_link": (frozenset({1, 3}), False),
    "Kernel.spawn_link": (frozenset({1, 3}), False),
    "Process.spawn": (frozenset({2, 4}), False),
}

SUPERVISOR_NAME = re.compile(r"^(?:[A-Z][A-Za-z0-9_]*(?:\.[A-Z][A-Za-z0-9_]*)*|:[a-z_][A-Za-z0-9_@]*)$")

#: Containers whose non-last expressions have their values discarded.
BLOCKS = frozenset({"do_block", "else_block", "body", "source", "block"})
TRAILING = frozenset({"rescue_block", "catch_block", "else_block", "after_block"})

# Exact pre-filter (see _needles.word): every call in CALLS has a target identifier, or a
# dot whose right side is an identifier, whose text is exactly `spawn` or `spawn_link`.
_SPAWN = word("spawn", "spawn_link")


class RawSpawn(Transform):
    """Report processes started with `spawn`/`spawn_link`/`Process.spawn` outside tests.

    ## What it does
    Reports calls to `spawn/1,3`, `spawn_link/1,3` (also written `Kernel.spawn`,
    `Kernel.spawn_link`) and `Process.spawn/2,4` in files outside `test/` directories and
    `*_test.exs` files. A module that defines its own `spawn`/`spawn_link` function is
    trusted for unqualified calls. `spawn_monitor`, `Task.*` and `Task.Supervisor.*` are
    not reported.

    With the rule option `supervisor` set to the name of a running `Task.Supervisor`
    (for example `supervisor = "MyApp.TaskSupervisor"` under `[rules.raw-spawn]`), the
    fix rewrites `spawn(fun)` to `Task.Supervisor.start_child(MyApp.TaskSupervisor, fun)`
    and `spawn(mod, fun, args)` to `Task.Supervisor.start_child(MyApp.TaskSupervisor,
    mod, fun, args)`. It does so only where the value of the call is discarded (an
    expression followed by another one in the same block, or the last expression of a
    function given to `Enum.each/2`), because `start_child` returns `{:ok, pid}` where
    `spawn` returned a pid. `spawn_link` and `Process.spawn` (which may carry `:link` or
    `:monitor` options) are reported without a fix: a linked process dies with its
    caller, a supervised task does not, and the right replacement (`Task.start_link`, a
    supervised task, a GenServer) depends on what the link was for.

    ## Why
    A bare process is invisible to the supervision tree: a crash is only logged, nobody
    restarts or waits for it, and on shutdown it is killed without ordering (or outlives
    the code that started it). Under a `Task.Supervisor` the work is visible in the tree,
    is shut down in order with the application and keeps `$callers` for tracing and test
    allowances.

    ## Example
    Before (with `supervisor = "MyApp.TaskSupervisor"`):

        def notify(user) do
          spawn(fn -> Mailer.deliver(user) end)
          :ok
        end

    After:

        def notify(user) do
          Task.Supervisor.start_child(MyApp.TaskSupervisor, fn -> Mailer.deliver(user) end)
          :ok
        end

    ## Fix safety
    Unsafe: it changes behaviour on purpose. The named `Task.Supervisor` must be started
    in your supervision tree (otpfix does not check this; without it the call exits with
    `:noproc`), the process now belongs to that supervisor (shut down with it, counted in
    its children, subject to its `max_children`) and its exit is reported by the task
    supervisor. The fix does not prove that the work tolerates being shut down with the
    application, and it is only offered where the call's value is discarded.
    """

    id = "raw-spawn"
    summary = "spawn/spawn_link outside a supervisor: use Task.Supervisor"
    fixable = True
    skip_tests = True
    default_options: Mapping[str, Any] = {"supervisor": ""}
    needles = (b"spawn",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        name = self.options["supervisor"]
        if not isinstance(name, str) or (name and not SUPERVISOR_NAME.match(name)):
            raise ValueError(
                f"rule {self.id}: option 'supervisor' must be a module name such as "
                f"\"MyApp.TaskSupervisor\" (or an atom such as \":tasks\"), got {name!r}"
            )

    def could_match(self, data: bytes) -> bool:
        return _SPAWN.found(data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        supervisor = self.options["supervisor"]
        own: dict[str, list[Node]] = {}
        # Every call in CALLS ends in `spawn` or `spawn_link` (see calls_named): the calls
        # of a whole-tree query, in the same order.
        calls = calls_named(ctx.root, ctx.data, "spawn") + calls_named(ctx.root, ctx.data, "spawn_link")
        for node in walk_order(calls):
            name = call_name(node)
            if name not in CALLS:
                continue
            arities, fixable = CALLS[name]
            arity = call_arity(node)
            if arity not in arities:
                continue
            if "." not in name:
                # `defines(module, root, {name})`: a def of that name in the module (or,
                # outside any module, in the file).
                if name not in own:
                    own[name] = defs_named(ctx.root, ctx.data, name)
                module = enclosing_module(node)
                scope = module if module is not None else ctx.root
                if any(is_within(d, scope) for d in own[name]):
                    continue  # the module's own spawn/1: not Kernel's
            fix = None
            if fixable and supervisor and not is_piped_into(node) and _value_discarded(node):
                fix = _fix(node, supervisor, arity)
            yield ctx.finding(node, _message(name, arity, supervisor), fix)


def _message(name: str, arity: int, supervisor: str) -> str:
    sup = supervisor or "MyApp.TaskSupervisor"
    short = name.split(".")[-1]
    if short == "spawn" and name != "Process.spawn":
        what = "starts an unsupervised process (a crash is only logged, shutdown ignores it)"
        use = f"start it under a Task.Supervisor: Task.Supervisor.start_child({sup}, ...)"
    elif short == "spawn_link":
        what = "starts a process outside the supervision tree, linked to the caller"
        use = (
            f"use Task.start_link/1 from a supervised process, or Task.Supervisor.start_child({sup}, ...) "
            "if the work need not die with the caller"
        )
    else:
        what = "starts an unsupervised process"
        use = f"start it under a Task.Supervisor: Task.Supervisor.start_child({sup}, ...)"
    return f"{name}/{arity} {what}; {use}"


def _value_discarded(call: Node) -> bool:
    """The call is an expression whose value nobody reads."""
    parent = call.parent
    if parent is None:
        return False
    if parent.type in BLOCKS:
        exprs = [c for c in parent.named_children if c.type != "comment"]
        exprs = [c for c in exprs if c.type not in TRAILING and c.type != "stab_clause"]
        if call in exprs and exprs.index(call) < len(exprs) - 1:
            return True
        # The last expression of `fn ... end` given to Enum.each/2: each discards it.
        if parent.type == "body" and exprs and exprs[-1] == call:
            clause = parent.parent
            fn = clause.parent if clause is not None else None
            args = fn.parent if fn is not None else None
            owner = args.parent if args is not None else None
            if (
                clause is not None
                and clause.type == "stab_clause"
                and fn is not None
                and fn.type == "anonymous_function"
                and args is not None
                and args.type == "arguments"
                and owner is not None
                and call_name(owner) == "Enum.each"
                and call_arity(owner) == 2
                and call_args(owner)[-1] == fn
            ):
                return True
    return False


def _fix(call: Node, supervisor: str, arity: int):
    target = call.child_by_field_name("target")
    args = call_args(call)
    if target is None or len(args) != arity:
        return None
    new = "Task.Supervisor.start_child"
    edits = [Edit(target.start_byte, target.end_byte, new), Edit.insert(args[0].start_byte, f"{supervisor}, ")]
    return make_fix(f"Start the process under {supervisor}", edits, safe=False)
