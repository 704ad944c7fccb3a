"""demonitor-down: make monitor cleanup explicit in `handle_info/2` :DOWN clauses."""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import (
    call_args,
    call_name,
    def_body,
    def_params,
    enclosing,
    identifiers_in,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._needles import atom, nodes_at, occurrences, walk_order, word

DEMONITOR_CALLS = frozenset({"Process.demonitor", ":erlang.demonitor"})
RESERVED = frozenset(
    "do end fn when and or not in true false nil catch rescue after else".split()
)

# Exact pre-filter (see _needles): a finding needs a `:DOWN` atom leaf (`_down_tuple`) and a
# `handle_info` identifier leaf (QUERY).
_DOWN = atom(":DOWN")
_HANDLE_INFO = word("handle_info")


class DemonitorDown(Transform):
    """Insert `Process.demonitor(ref, [:flush])` at the top of `handle_info/2` :DOWN clauses.

    ## What it does
    Finds every `handle_info/2` clause whose first argument matches a monitor message,
    `{:DOWN, ref, type, object, reason}` (also bound with `= msg`, under a guard, as a
    `do:` one-liner, or as one clause among many), whose body does not already call
    `Process.demonitor/1,2` (or `:erlang.demonitor`) on that ref. The fix inserts
    `Process.demonitor(ref, [:flush])` as the first expression of the body, indented like
    the body. An ignored ref (`_`, `_ref`) is bound to a free name (`ref`, else
    `down_ref`, ...). A `do:` one-liner becomes a `do ... end` block.

    A `:DOWN` pattern in a `receive` outside `handle_info/2` is not reported: a bare
    receive usually belongs to a short-lived helper (a hand-rolled call) where the monitor
    is consumed right there.

    ## Why
    Monitor refs are easy to lose track of. Making every `:DOWN` handler release its ref
    explicitly keeps the cleanup in one obvious place and makes the handler safe to reach
    from other paths (for example when the same cleanup is called on unsubscribe).

    ## What it does not do
    When a `:DOWN` message arrives the monitor has already fired: the runtime removed it,
    so this call releases nothing and flushes nothing. The change is explicit and
    idempotent cleanup, not a leak fix. The monitor leak that matters is a monitor that
    is dropped without `Process.demonitor` on an unsubscribe or removal path; the rule
    `demonitor-on-remove` covers that, and `discarded-monitor` reports monitors whose ref
    is thrown away.

    ## Example
    Before:

        def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
          {:noreply, Map.delete(state, pid)}
        end

    After:

        def handle_info({:DOWN, ref, :process, pid, _reason}, state) do
          Process.demonitor(ref, [:flush])
          {:noreply, Map.delete(state, pid)}
        end

    ## Fix safety
    Safe. `Process.demonitor(ref, [:flush])` on a monitor that already fired returns
    `true` and has no other effect, and the inserted line does not change the clause's
    return value. Renaming an ignored ref only binds a variable that was unused.
    """

    id = "demonitor-down"
    summary = "Call Process.demonitor(ref, [:flush]) in handle_info/2 :DOWN clauses"
    fixable = True
    needles = (b":DOWN",)

    QUERY = """
    (call target: (identifier) @kw (#eq? @kw "def")
      (arguments (call target: (identifier) @name (#eq? @name "handle_info")))) @def
    (call target: (identifier) @kw (#eq? @kw "def")
      (arguments (binary_operator
        left: (call target: (identifier) @name (#eq? @name "handle_info"))))) @def
    """

    def could_match(self, data: bytes) -> bool:
        return _DOWN.found(data) and _HANDLE_INFO.found(data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for clause in _query_defs(ctx):
            if enclosing(clause, lambda n: call_name(n) == "quote") is not None:
                continue
            yield from self._check_clause(ctx, clause)

    def _check_clause(self, ctx: Context, clause: Node) -> Iterator[Finding]:
        params = def_params(clause)
        if len(params) != 2:
            return
        down = _down_tuple(params[0])
        if down is None:
            return
        ref = _items(down)[1]
        body = def_body(clause)
        if body is None:
            return
        ref_name = text_of(ref) if ref.type == "identifier" else None
        if ref_name and not ref_name.startswith("_") and _demonitors(body, ref_name):
            return
        message = "this :DOWN handler does not release its monitor ref explicitly"
        fix = None
        if ref.type == "identifier":
            fix = self._fix(ctx, clause, body, ref)
        yield ctx.finding(down, message, fix)

    def _fix(self, ctx: Context, clause: Node, body: Node, ref: Node):
        name = text_of(ref)
        edits: list[Edit] = []
        if name.startswith("_"):
            if name != "_" and _uses(clause, name) > 1:
                return None  # the "ignored" ref is read somewhere: renaming would break it
            name = _free_name(name, identifiers_in(clause))
            edits.append(Edit(ref.start_byte, ref.end_byte, name))
        call = f"Process.demonitor({name}, [:flush])"
        if body.type == "do_block":
            inner = [c for c in body.named_children]
            if not inner or inner[0].type in ("rescue_block", "catch_block", "else_block", "after_block"):
                return None
            first = inner[0]
            if not ctx.source.is_first_on_line(first.start_byte):
                return None
            indent = ctx.source.indent_of(first.start_byte)
            at = ctx.source.line_start(first.start_byte)
            edits.append(Edit.insert(at, f"{indent}{call}\n"))
        else:
            # `def ..., do: value` -> a do/end block.
            if not ctx.source.is_first_on_line(clause.start_byte):
                return None
            def_indent = ctx.source.indent_of(clause.start_byte)
            head = call_args(clause)[0]
            keywords = call_args(clause)[-1]
            if keywords.type != "keywords" or len(keywords.named_children) != 1:
                return None
            if _has_parens(clause):
                return None
            indent = def_indent + "  "
            edits.append(
                Edit(head.end_byte, body.start_byte, f" do\n{indent}{call}\n{indent}")
            )
            # `end` goes after a trailing comment, so the comment (an otpfix:ignore marker,
            # say) stays on the line of the code it is about.
            line_end = ctx.source.line_end(body.end_byte)
            rest = ctx.data[body.end_byte : line_end].strip()
            if rest and not rest.startswith(b"#"):
                return None
            edits.append(Edit.insert(line_end if rest else body.end_byte, f"\n{def_indent}end"))
        return make_fix(f"Insert {call}", edits, safe=True)


def _query_defs(ctx: Context) -> list[Node]:
    """`ctx.captures(DemonitorDown.QUERY, "def")` without running a query over the whole
    tree: the @name identifier `handle_info` is found from the bytes, then its parents
    are matched against the two patterns (a `def` call whose `arguments` child has, as a
    child, the `handle_info(...)` call or a binary operator whose left side is that call).
    Distinct nodes, sorted like `Source.captures`."""
    out = []
    for pos in occurrences(ctx.data, b"handle_info"):
        for name in nodes_at(ctx.root, pos, pos + len(b"handle_info")):
            head = name.parent
            if (
                name.type != "identifier"
                or head is None
                or head.type != "call"
                or head.child_by_field_name("target") != name
            ):
                continue
            args = head.parent
            if (
                args is not None
                and args.type == "binary_operator"
                and args.child_by_field_name("left") == head
            ):
                args = args.parent
            if args is None or args.type != "arguments":
                continue
            clause = args.parent
            if clause is None or clause.type != "call":
                continue
            kw = clause.child_by_field_name("target")
            if kw is not None and kw.type == "identifier" and kw.text == b"def":
                out.append(clause)
    return walk_order(out)


def _has_parens(def_call: Node) -> bool:
    args = next((c for c in def_call.children if c.type == "arguments"), None)
    return args is not None and args.child_count > 0 and args.children[0].type == "("


def _down_tuple(pattern: Node) -> Node | None:
    """The `{:DOWN, ref, _, _, _}` tuple of a pattern, through `=` bindings."""
    if pattern.type == "binary_operator" and operator(pattern) == "=":
        for side in ("left", "right"):
            found = _down_tuple(pattern.child_by_field_name(side))
            if found is not None:
                return found
        return None
    if pattern.type != "tuple":
        return None
    items = _items(pattern)
    if len(items) != 5 or items[0].type != "atom" or text_of(items[0]) != ":DOWN":
        return None
    return pattern


def _items(tuple_node: Node) -> list[Node]:
    return [c for c in tuple_node.named_children if c.type != "comment"]


def _demonitors(body: Node, ref_name: str) -> bool:
    for node in walk(body):
        if node.type == "call" and call_name(node) in DEMONITOR_CALLS:
            args = call_args(node)
            if args and args[0].type == "identifier" and text_of(args[0]) == ref_name:
                return True
    return False


def _uses(node: Node, name: str) -> int:
    return sum(1 for n in walk(node) if n.type == "identifier" and text_of(n) == name)


def _free_name(ignored: str, taken: set[str]) -> str:
    stripped = ignored.lstrip("_")
    candidates = [stripped] if stripped else []
    candidates += ["ref", "down_ref", "monitor_ref"]
    candidates += [f"down_ref{i}" for i in range(2, 100)]
    for candidate in candidates:
        if candidate and candidate not in taken and candidate not in RESERVED:
            return candidate
    raise ValueError("no free name")  # pragma: no cover
