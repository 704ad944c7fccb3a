"""demonitor-on-remove: a monitor ref removed from the state without Process.demonitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import (
    is_piped_into,
    call_args,
    call_name,
    def_body,
    def_head,
    def_params,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._needles import calls_named, walk_order, word
from ._otp import (
    ModuleGraph,
    in_quote,
    is_down_clause,
    module_defs,
    pipe_value_node,
)

MONITOR_CALLS = frozenset({"Process.monitor", ":erlang.monitor"})
DEMONITOR_CALLS = frozenset({"Process.demonitor", ":erlang.demonitor"})
PUT_CALLS = frozenset({"Map.put", "Map.put_new"})
REMOVE_CALLS = {"Map.delete": "delete", "Map.drop": "drop", "Map.pop": "pop"}
STATE_CALLBACKS = {"handle_call": 3, "handle_cast": 2, "handle_info": 2, "handle_continue": 2}

# Exact pre-filter (see _needles.word). A finding is a removal (REMOVE_CALLS: `Map` and a
# right side exactly `delete`/`drop`/`pop`) from a map that some write (PUT_CALLS or
# `put_in`: a name exactly `put`/`put_new`/`put_in`) filled with the value of a
# MONITOR_CALLS call (`Process` or `:erlang`, and a right side exactly `monitor`); call
# names are the texts of identifier, alias and atom leaves, so all of these are bytes of
# the file.
_MONITOR = word("monitor")
_PUT = word("put", "put_new", "put_in")
_REMOVE = word("delete", "drop", "pop")

HELPERS = {
    "delete": (
        "demonitor_delete",
        """defp demonitor_delete(monitors, key) do
  {ref, monitors} = Map.pop(monitors, key)
  if is_reference(ref), do: Process.demonitor(ref, [:flush])
  monitors
end
""",
    ),
    "drop": (
        "demonitor_drop",
        """defp demonitor_drop(monitors, keys) do
  for {_key, ref} <- Map.take(monitors, keys), is_reference(ref), do: Process.demonitor(ref, [:flush])
  Map.drop(monitors, keys)
end
""",
    ),
    "pop": (
        "demonitor_pop",
        """defp demonitor_pop(monitors, key) do
  {ref, monitors} = Map.pop(monitors, key)
  if is_reference(ref), do: Process.demonitor(ref, [:flush])
  {ref, monitors}
end
""",
    ),
}


@dataclass
class MonitorMap:
    """What the module stores in one map of its state."""

    key: tuple  # ("field", name) or ("state",)
    bare: bool = True  # every write stores the monitor ref itself as the value
    ref_keyed: bool = False  # some write uses the ref as the key
    writes: list[Node] = field(default_factory=list)


class DemonitorOnRemove(Transform):
    """Release the monitor when a monitored entry is removed from the state outside `:DOWN`.

    ## What it does
    Finds modules that keep monitor refs in a map of their state: a clause binds
    `ref = Process.monitor(pid)` (or calls it in place) and stores it with `Map.put` /
    `Map.put_new` / `put_in` into a state field (`%{state | monitors: Map.put(...)}`,
    `Map.put(state.monitors, pid, ref)`, a `%{monitors: monitors}` pattern in the clause
    head) or into the state map itself (`Map.put(state, pid, ref)`).

    Then reports every removal of an entry of that map (`Map.delete`, `Map.drop`, or
    `Map.pop` whose popped ref is discarded: `{_ref, m} = Map.pop(...)`, `elem(..., 1)`)
    on a path outside a `:DOWN` handler, when neither that function nor any function of
    the module it calls releases a monitor (`Process.demonitor`). Not reported: removals
    in `handle_info({:DOWN, ...}, state)` clauses, in `terminate/2`, and in private
    functions called only from those; maps that never hold a monitor ref; test files.

    The fix renames the removal call to a private helper that demonitors the removed ref
    and returns exactly what the `Map` function returned, and adds that helper once at the
    end of the module:

        defp demonitor_delete(monitors, key) do
          {ref, monitors} = Map.pop(monitors, key)
          if is_reference(ref), do: Process.demonitor(ref, [:flush])
          monitors
        end

    (`demonitor_drop/2` and `demonitor_pop/2` likewise for `Map.drop` and `Map.pop`.)

    ## Why
    A monitor stays active until it fires or is demonitored. When an unsubscribe (or
    any removal that is not the `:DOWN` itself) forgets the ref, the server keeps one
    monitor per removed entry — `Process.info(server, :monitors)` grows without bound —
    and later receives a `:DOWN` for a process it no longer tracks.

    ## Example
    Before:

        def handle_call({:unsubscribe, pid}, _from, state) do
          {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
        end

    After:

        def handle_call({:unsubscribe, pid}, _from, state) do
          {:reply, :ok, %{state | monitors: demonitor_delete(state.monitors, pid)}}
        end

        defp demonitor_delete(monitors, key) do
          {ref, monitors} = Map.pop(monitors, key)
          if is_reference(ref), do: Process.demonitor(ref, [:flush])
          monitors
        end

    ## Fix safety
    Safe, and offered only when the state shape is matched exactly: every write into
    that map in the module stores the bare ref from `Process.monitor` as the value, the
    call is `Map.delete/2`, `Map.drop/2` or `Map.pop/2`, the helper name is free (or
    the helper is already there, byte for byte) and the module's `end` stands on its
    own line. The new state is the same value as before. Behaviour changes on purpose:
    the monitor of the removed entry is released and its pending `:DOWN` (if any) is
    flushed, so the `:DOWN` handler no longer runs for an entry that was already removed.
    Otherwise (the ref is stored inside a tuple, keyed by the ref, `Map.pop/3`, ...)
    the removal is reported without a fix. The rule does not follow the state through
    other modules, and does not prove that every monitor of the module is released.
    """

    id = "demonitor-on-remove"
    summary = "A monitored entry is removed from the state without Process.demonitor"
    fixable = True
    skip_tests = True
    needles = (b"monitor",)

    def could_match(self, data: bytes) -> bool:
        return (
            _MONITOR.found(data)
            and b"Map" in data
            and (b"Process" in data or b":erlang" in data)
            and _PUT.found(data)
            and _REMOVE.found(data)
        )

    def check(self, ctx: Context) -> Iterator[Finding]:
        index = _Index(ctx)
        # `modules(root)` restricted to the modules that contain a MONITOR_CALLS call: in
        # any other module `_monitor_maps` finds no map (every map entry needs the value
        # of such a call written in one of the module's clauses), so it yields nothing.
        # Same modules, same (walk) order, without walking the whole tree.
        found = []
        for call in index.monitors:
            n = call.parent
            while n is not None:
                if n.type == "call" and call_name(n) == "defmodule":
                    found.append(n)
                n = n.parent
        for module in walk_order(found):
            if not in_quote(module):
                yield from self._check_module(ctx, module, index)

    def _check_module(self, ctx: Context, module: Node, index: "_Index") -> Iterator[Finding]:
        clauses = module_defs(module)  # == ModuleGraph(module).clauses
        maps = _monitor_maps(clauses, index)
        if not maps:
            return
        # Removals first (pure), so that the call graph is only built where one exists.
        holding = index.holding(index.removes)
        removals_of = [
            (clause, list(_removals(clause, maps, index)) if clause.id in holding else [])
            for clause in clauses
        ]
        if not any(removals for _clause, removals in removals_of):
            return
        graph = ModuleGraph(module)
        covered = _covered_clauses(graph)
        for clause, removals in removals_of:
            if clause.id in covered:
                continue
            if not removals:
                continue
            for call, kind, mmap in removals:
                fix = self._fix(ctx, graph, call, kind, mmap)
                what = _describe(mmap)
                if isinstance(fix, str):
                    why, fix = fix, None
                    message = (
                        f"{call_name(call)} removes a monitored entry from {what} outside a "
                        f":DOWN handler without Process.demonitor: the monitor leaks ({why})"
                    )
                else:
                    message = (
                        f"{call_name(call)} removes a monitored entry from {what} outside a "
                        ":DOWN handler without Process.demonitor: the monitor leaks"
                    )
                yield ctx.finding(call, message, fix)

    def _fix(self, ctx: Context, graph: ModuleGraph, call: Node, kind: str, mmap: MonitorMap):
        """The fix, or a reason (str) why there is none."""
        if mmap.ref_keyed:
            return "not fixed: the map is keyed by the monitor ref"
        if not mmap.bare:
            return "not fixed: the map does not hold only bare monitor refs"
        if len(_piped_args(call)) != 2:
            return f"not fixed: only {call_name(call)}/2 is rewritten"
        name, body = HELPERS[kind]
        target = call.child_by_field_name("target")
        if target is None:
            return "not fixed: unexpected call shape"
        edits = [Edit(target.start_byte, target.end_byte, name)]
        indent = _module_indent(ctx, graph.module) + "  "
        helper = "".join((indent + line if line else line) + "\n" for line in body.splitlines())
        existing = [c for c in graph.clauses if (def_head(c) or ("",))[0] == name]
        if existing:
            if len(existing) != 1 or ctx.text(existing[0]).replace("\r\n", "\n") != helper.strip():
                return f"not fixed: the module already defines a different {name}"
        else:
            block = next((c for c in graph.module.named_children if c.type == "do_block"), None)
            end = block.children[-1] if block is not None and block.children else None
            if end is None or end.type != "end" or not ctx.source.is_first_on_line(end.start_byte):
                return "not fixed: the module's `end` does not stand on its own line"
            edits.append(Edit.insert(ctx.source.line_start(end.start_byte), "\n" + helper))
        return make_fix(f"Release the monitor with {name}/2", edits, safe=True)


def _module_indent(ctx: Context, module: Node) -> str:
    return ctx.source.indent_of(module.start_byte)


def _describe(mmap: MonitorMap) -> str:
    return f"state.{mmap.key[1]}" if mmap.key[0] == "field" else "the state"


# -- monitor maps ------------------------------------------------------------------------


class _Index:
    """The calls the rule looks at, found once per file from the bytes (see
    _needles.calls_named) instead of walking every clause body: `under(nodes, body)` is
    `[n for n in walk(body) if n in nodes]`, in the same (walk) order."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.monitors = [
            c for c in calls_named(ctx.root, ctx.data, "monitor") if call_name(c) in MONITOR_CALLS
        ]
        self._puts: list[Node] | None = None
        self._removes: list[Node] | None = None
        self._ancestors: dict[tuple[int, int], frozenset[int]] = {}

    def _named(self, names) -> list[Node]:
        found = []
        for name in names:
            found.extend(calls_named(self.ctx.root, self.ctx.data, name))
        return walk_order(found)

    @property
    def puts(self) -> list[Node]:
        """Calls named in PUT_CALLS or `put_in`."""
        if self._puts is None:
            self._puts = [
                c
                for c in self._named(("put", "put_new", "put_in"))
                if call_name(c) in PUT_CALLS or call_name(c) == "put_in"
            ]
        return self._puts

    @property
    def removes(self) -> list[Node]:
        """Calls named in REMOVE_CALLS."""
        if self._removes is None:
            self._removes = [
                c for c in self._named(("delete", "drop", "pop")) if call_name(c) in REMOVE_CALLS
            ]
        return self._removes

    def under(self, nodes: list[Node], scope: Node) -> list[Node]:
        return [n for n in nodes if scope.id in self._ancestry(n)]

    def holding(self, nodes: list[Node]) -> set[int]:
        """Ids of every node that has one of `nodes` under it (or is one): `under(nodes,
        x)` is empty for any `x` whose id is not in it."""
        out: set[int] = set()
        for n in nodes:
            out.update(self._ancestry(n))
        return out

    def _ancestry(self, node: Node) -> frozenset[int]:
        """Ids of `node` and its ancestors."""
        key = (node.id, node.start_byte)
        if key not in self._ancestors:
            ids = []
            n: Node | None = node
            while n is not None:
                ids.append(n.id)
                n = n.parent
            self._ancestors[key] = frozenset(ids)
        return self._ancestors[key]


def _monitor_maps(clauses: list[Node], index: _Index) -> dict[tuple, MonitorMap]:
    """Every state map the module writes monitor refs into."""
    maps: dict[tuple, MonitorMap] = {}
    other_writes: list[tuple[tuple, Node]] = []
    holding = index.holding(index.puts)
    for clause in clauses:
        if clause.id not in holding:
            continue  # no write under it: the loop below would do nothing
        body = def_body(clause)
        if body is None:
            continue
        refs = _monitor_vars(index.under(index.monitors, body))
        for node in index.under(index.puts, body):
            name = call_name(node)
            if name in PUT_CALLS:
                args = _piped_args(node)
                if len(args) != 3:
                    continue
                target, key, value = args
                if key.type in ("atom", "string", "integer", "quoted_atom"):
                    continue  # `Map.put(state, :owner_ref, ref)`: one field, not a map of monitors
                where = _map_key(clause, node, target)
                if where is None:
                    continue
                holds = _holds_monitor(value, refs)
                ref_key = _is_monitor(key, refs)
                if holds is None and not ref_key:
                    other_writes.append((where, node))
                    continue
                mmap = maps.setdefault(where, MonitorMap(where))
                mmap.writes.append(node)
                if ref_key:
                    mmap.ref_keyed = True
                if holds != "bare":
                    mmap.bare = False
            elif name == "put_in":
                args = call_args(node)
                if len(args) != 2 or args[0].type != "access_call":
                    continue
                container = args[0].named_children[0] if args[0].named_children else None
                field_name = _field_of(container)
                if field_name is None:
                    continue
                where = ("field", field_name)
                holds = _holds_monitor(args[1], refs)
                if holds is None:
                    other_writes.append((where, node))
                    continue
                mmap = maps.setdefault(where, MonitorMap(where))
                mmap.writes.append(node)
                if holds != "bare":
                    mmap.bare = False
    for where, _node in other_writes:
        if where in maps:
            maps[where].bare = False  # the map also holds something else
    return maps


def _monitor_vars(monitors: list[Node]) -> set[str]:
    """Names bound by `name = Process.monitor(...)` (also piped) in a body, given the
    MONITOR_CALLS calls of that body: the `=` whose right side is such a call, or a pipe
    into one (`_monitor_expr`), is the parent of the call or of that pipe (and never
    outside the body: a body's own parent is a `def` or a `do:` pair)."""
    out = set()
    for call in monitors:
        sides = [call]
        if is_piped_into(call):
            sides.append(call.parent)
        for right in sides:
            node = right.parent
            if node is not None and node.type == "binary_operator" and operator(node) == "=":
                if node.child_by_field_name("right") != right:
                    continue
                left = node.child_by_field_name("left")
                if left is not None and left.type == "identifier" and _monitor_expr(right):
                    out.add(text_of(left))
    return out


def _monitor_expr(node: Node) -> bool:
    if node.type == "call" and call_name(node) in MONITOR_CALLS:
        return True
    if node.type == "binary_operator" and operator(node) == "|>":
        right = node.child_by_field_name("right")
        return right is not None and right.type == "call" and call_name(right) in MONITOR_CALLS
    return False


def _is_monitor(node: Node, refs: set[str]) -> bool:
    return (node.type == "identifier" and text_of(node) in refs) or _monitor_expr(node)


def _holds_monitor(value: Node, refs: set[str]) -> str | None:
    """"bare" when the value is the monitor ref, "wrapped" when it contains it, else None."""
    if _is_monitor(value, refs):
        return "bare"
    for n in walk(value):
        if _is_monitor(n, refs):
            return "wrapped"
    return None


def _piped_args(call: Node) -> list[Node]:
    args = call_args(call)
    parent = call.parent
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "|>":
        if parent.child_by_field_name("right") == call:
            return [parent.child_by_field_name("left")] + args
    return args


def _field_of(node: Node | None) -> str | None:
    """`x.field` -> "field" (a plain field access, not a call with arguments)."""
    if node is None or node.type != "call":
        return None
    if any(c.type == "arguments" for c in node.named_children):
        return None
    target = node.child_by_field_name("target")
    if target is None or target.type != "dot":
        return None
    left = target.child_by_field_name("left")
    right = target.child_by_field_name("right")
    if left is None or right is None or left.type != "identifier" or right.type != "identifier":
        return None
    return text_of(right)


def _map_key(clause: Node, call: Node, target: Node) -> tuple | None:
    """Which map of the state `target` (the map argument of `call`) is, or None."""
    outer = pipe_value_node(call)
    pair = outer.parent
    if pair is not None and pair.type == "pair":
        key = pair.child_by_field_name("key")
        kws = pair.parent
        content = kws.parent if kws is not None else None
        if key is not None and content is not None and _in_map_update(content):
            name = text_of(key).strip().rstrip(":").strip()
            if name.isidentifier():
                return ("field", name)
    field_name = _field_of(target)
    if field_name is not None:
        return ("field", field_name)
    updated = _updated_field(call, target)
    if updated is not None:
        return ("field", updated)
    if target.type != "identifier":
        return None
    name = text_of(target)
    bound = _pattern_fields(clause).get(name)
    if bound is not None:
        return ("field", bound)
    bound = _assigned_field(clause, name, call)
    if bound is not None:
        return ("field", bound)
    if name == _state_param(clause):
        return ("state",)
    return None


def _updated_field(call: Node, target: Node) -> str | None:
    """`update_in(state.F, &Map.delete(&1, k))`, `update_in(state.F, fn m -> ... m ... end)`,
    `Map.update!(state, :F, &Map.delete(&1, k))`: the field F whose value `target` is."""
    if target.type == "unary_operator" and operator(target) == "&" and text_of(target) == "&1":
        fun = _enclosing_capture(call)
    elif target.type == "identifier":
        fun = _enclosing_fn_of_param(call, text_of(target))
    else:
        return None
    if fun is None or fun.parent is None or fun.parent.type != "arguments":
        return None
    updater = fun.parent.parent
    args = call_args(updater) if updater is not None else []
    name = call_name(updater) if updater is not None else None
    if name == "update_in" and len(args) == 2 and args[1] == fun:
        return _field_of(args[0])
    if name in ("Map.update!", "Map.update") and args and args[-1] == fun and len(args) in (3, 4):
        key = args[1]
        if key.type == "atom" and text_of(key).startswith(":"):
            return text_of(key)[1:]
    return None


def _enclosing_capture(node: Node) -> Node | None:
    n = node.parent
    while n is not None and n.type not in ("anonymous_function", "call"):
        if n.type == "unary_operator" and operator(n) == "&":
            return n
        n = n.parent
    return None


def _enclosing_fn_of_param(node: Node, name: str) -> Node | None:
    """The `fn name -> ... end` (one clause, one plain parameter) that `node` is in."""
    n = node.parent
    while n is not None and n.type != "anonymous_function":
        if n.type == "call" and call_name(n) in ("def", "defp"):
            return None
        n = n.parent
    if n is None:
        return None
    clauses = [c for c in n.named_children if c.type == "stab_clause"]
    if len(clauses) != 1 or not clauses[0].named_children:
        return None
    head = clauses[0].named_children[0]
    if head.type != "arguments" or len(head.named_children) != 1:
        return None
    param = head.named_children[0]
    return n if param.type == "identifier" and text_of(param) == name else None


def _in_map_update(content: Node) -> bool:
    """A keywords node inside `%{x | k: v}` (or a `%Struct{x | ...}`)."""
    n = content
    if n.type == "binary_operator" and operator(n) == "|":
        n = n.parent
    return n is not None and n.type == "map_content" and _has_update(n)


def _has_update(content: Node) -> bool:
    return any(c.type == "binary_operator" and operator(c) == "|" for c in content.named_children)


def _pattern_fields(clause: Node) -> dict[str, str]:
    """{var: field} for `%{field: var}` patterns in the clause head."""
    out: dict[str, str] = {}
    for param in def_params(clause):
        for n in walk(param):
            if n.type == "pair":
                key = n.child_by_field_name("key")
                value = n.child_by_field_name("value")
                if key is None or value is None or value.type != "identifier":
                    continue
                if n.parent is None or n.parent.type != "keywords":
                    continue
                content = n.parent.parent
                if content is None or content.type != "map_content":
                    continue
                out[text_of(value)] = text_of(key).strip().rstrip(":").strip()
    return out


def _assigned_field(clause: Node, name: str, before: Node) -> str | None:
    """`name = x.field` (or `%{field: name} = x`) earlier in the clause body."""
    body = def_body(clause)
    if body is None:
        return None
    found = None
    for n in walk(body):
        if n.start_byte >= before.start_byte:
            break
        if n.type != "binary_operator" or operator(n) != "=":
            continue
        left = n.child_by_field_name("left")
        right = n.child_by_field_name("right")
        if left is None or right is None:
            continue
        if left.type == "identifier" and text_of(left) == name:
            found = _field_of(right)
        elif left.type == "map":
            for m in walk(left):
                if m.type == "pair":
                    value = m.child_by_field_name("value")
                    key = m.child_by_field_name("key")
                    if value is not None and key is not None and value.type == "identifier" and text_of(value) == name:
                        found = text_of(key).strip().rstrip(":").strip()
    return found


def _state_param(clause: Node) -> str | None:
    """The name of the state argument of a GenServer callback clause (`state`,
    `%{} = state`), else None."""
    info = def_head(clause)
    params = def_params(clause)
    if info is None or STATE_CALLBACKS.get(info[0]) != len(params):
        return None
    last = params[-1]
    if last.type == "identifier":
        return text_of(last)
    if last.type == "binary_operator" and operator(last) == "=":
        for side in ("left", "right"):
            n = last.child_by_field_name(side)
            if n is not None and n.type == "identifier":
                return text_of(n)
    return None


# -- removals ----------------------------------------------------------------------------


def _removals(
    clause: Node, maps: dict[tuple, MonitorMap], index: _Index
) -> Iterator[tuple[Node, str, MonitorMap]]:
    body = def_body(clause)
    if body is None:
        return
    for node in index.under(index.removes, body):
        kind = REMOVE_CALLS.get(call_name(node) or "")
        if kind is None:
            continue
        args = _piped_args(node)
        if len(args) < 2 or args[1].type in ("atom", "string", "integer", "quoted_atom"):
            continue
        where = _map_key(clause, node, args[0])
        if where is None or where not in maps:
            continue
        if kind == "pop" and not _pop_discards_ref(node, clause):
            continue
        yield node, kind, maps[where]


def _pop_discards_ref(call: Node, clause: Node) -> bool:
    outer = pipe_value_node(call)
    parent = outer.parent
    # {_ref, rest} = Map.pop(...)
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "=":
        if parent.child_by_field_name("right") != outer:
            return False
        left = parent.child_by_field_name("left")
        if left is None or left.type != "tuple" or len(left.named_children) != 2:
            return False
        first = left.named_children[0]
        if first.type != "identifier" or not text_of(first).startswith("_"):
            return False
        name = text_of(first)
        if name == "_":
            return True
        return sum(1 for n in walk(clause) if n.type == "identifier" and text_of(n) == name) == 1
    # Map.pop(...) |> elem(1)
    if parent is not None and parent.type == "binary_operator" and operator(parent) == "|>":
        right = parent.child_by_field_name("right")
        if right is not None and call_name(right) == "elem":
            args = call_args(right)
            return len(args) == 1 and text_of(args[0]) == "1"
    # elem(Map.pop(...), 1)
    if parent is not None and parent.type == "arguments":
        call_ = parent.parent
        if call_ is not None and call_name(call_) == "elem":
            args = call_args(call_)
            return len(args) == 2 and args[0] == outer and text_of(args[1]) == "1"
    return False


def _demonitors(clause: Node) -> bool:
    body = def_body(clause)
    return body is not None and any(
        n.type == "call" and call_name(n) in DEMONITOR_CALLS for n in walk(body)
    )


def _covered_clauses(graph: ModuleGraph) -> set[int]:
    """Clauses whose removals need no demonitor: :DOWN handlers, terminate/2, clauses that
    release a monitor themselves or through a local function they call, and private
    functions called only from such clauses."""
    exempt = set()
    for clause in graph.clauses:
        info = def_head(clause)
        if is_down_clause(clause) or (info is not None and info[0] == "terminate"):
            exempt.add(clause.id)
        elif any(_demonitors(c) for c in graph.reachable(clause)):
            exempt.add(clause.id)
    callers = graph.callers()
    changed = True
    while changed:
        changed = False
        for clause in graph.clauses:
            if clause.id in exempt or call_name(clause) != "defp":
                continue
            who = callers.get(clause.id, [])
            if who and all(c.id in exempt for c in who):
                exempt.add(clause.id)
                changed = True
    return exempt
