"""atomic-rate-limit: replace an `:ets.update_counter` increment-then-rollback with an
atomic check-and-increment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from tree_sitter import Node

from otpfix.syntax import (
    DEF_KEYWORDS,
    arguments_node,
    block_expressions,
    call_args,
    call_name,
    def_head,
    do_block,
    enclosing,
    identifiers_in,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._locate import CallNames

COUNTER_CALL = ":ets.update_counter"
_COUNTER = CallNames({COUNTER_CALL})
HELPER = "otpfix_update_counter_unless"
KEY_HELPER = "otpfix_literal_key?"
STRATEGIES = ("select_replace", "threshold")

COMPARISONS = frozenset({">", ">=", "<", "<="})
FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}  # `a OP b` == `b FLIP[OP] a`
NEGATE = {">": "<=", "<=": ">", ">=": "<", "<": ">="}  # exact: Erlang term order is total
MODULE_DEFINERS = frozenset({"defmodule", "defimpl", "defprotocol"})
CONDITIONALS = frozenset({"if", "unless", "cond", "case"})
BRANCH_END_BLOCKS = ("rescue_block", "catch_block", "else_block", "after_block")

# The helper added once per module by the `select_replace` strategy. `{i}` is the module
# body's indentation; lines are indented two spaces per level on top of it.
HELPER_TEXT = """\
# Added by otpfix (atomic-rate-limit). Like :ets.update_counter(tab, key, incr, default)
# (default nil: the key must exist), but the new count is stored only when over?.(count)
# is false, so the counter never goes past the limit. Compare-and-swap: read the object,
# replace it with :ets.select_replace/2 only if it is still the one read, else retry; a
# missing key is first created atomically with :ets.insert_new/2. Returns the new count,
# or, when over? refuses it, the count the increment would have given (nothing stored).
defp otpfix_update_counter_unless(tab, key, incr, default, over?) do
  keypos = :ets.info(tab, :keypos)

  case :ets.lookup(tab, key) do
    [] when default == nil ->
      # raises ArgumentError like :ets.update_counter/3 does for a missing key
      :ets.lookup_element(tab, key, keypos)
      otpfix_update_counter_unless(tab, key, incr, default, over?)

    [] ->
      :ets.insert_new(tab, put_elem(default, keypos - 1, key))
      otpfix_update_counter_unless(tab, key, incr, default, over?)

    [old] ->
      {pos, step} = if is_integer(incr), do: {keypos + 1, incr}, else: incr
      new = elem(old, pos - 1) + step
      k = elem(old, keypos - 1)
      # Match spec: the key in the head only when it reads literally (then ETS looks it
      # up instead of scanning); the guard accepts exactly the object read; the body
      # ({{...}}, every term in {:const, _}) is that object with the new count.
      {head_key, body_key} = if otpfix_literal_key?(k), do: {k, {:const, k}}, else: {:"$1", :"$1"}
      head = put_elem(Tuple.duplicate(:_, tuple_size(old)), keypos - 1, head_key)
      body = old |> put_elem(pos - 1, new) |> Tuple.to_list() |> Enum.map(&{:const, &1})
      body = body |> List.to_tuple() |> put_elem(keypos - 1, body_key)
      spec = [{head, [{:"=:=", :"$_", {:const, old}}], [{body}]}]

      cond do
        over?.(new) -> new
        :ets.select_replace(tab, spec) == 1 -> new
        true -> otpfix_update_counter_unless(tab, key, incr, default, over?)
      end
  end
end

# A term a match head reads literally: no :_ or :"$..." atoms, no maps (map patterns).
defp otpfix_literal_key?(t) when is_atom(t), do: t != :_ and not match?("$" <> _, Atom.to_string(t))
defp otpfix_literal_key?(t) when is_tuple(t), do: otpfix_literal_key?(Tuple.to_list(t))
defp otpfix_literal_key?([h | t]), do: otpfix_literal_key?(h) and otpfix_literal_key?(t)
defp otpfix_literal_key?(t), do: not is_map(t)
"""


class AtomicRateLimit(Transform):
    """Make an `:ets.update_counter` increment-then-rollback rate limit atomic.

    ## What it does
    Finds a counter that is incremented first and given back when it went over a limit:

        n = :ets.update_counter(tab, key, {2, 1}, {key, 0})
        if n > @limit do
          :ets.update_counter(tab, key, {2, -1})
          {:error, :rate_limited}
        else
          {:ok, n}
        end

    Recognised shapes: the increment bound to a variable and the very next expression an
    `if`, `unless`, `cond` (two clauses, the last `true ->`) or `case` (on the variable with
    `n when n > limit ->` and a catch-all clause, or on `n > limit` with `true`/`false`
    clauses); or the increment written directly as the subject of `case` or inside the
    comparison of `if`/`unless`. The comparison is `>`, `>=`, `<` or `<=` with the limit on
    either side; the increment is `{pos, incr}` or a bare `incr` (an integer or a variable),
    with or without a default object; the rollback is an `:ets.update_counter` on the same
    table and key (same text) with the negated increment, possibly assigned (`_ = ...`) or
    piped (`tab |> :ets.update_counter(key, -1)`).

    Not reported: an `update_counter` without such a rollback in one branch of the check,
    a decrement in another function (a release), a rollback on another table or key.

    The fix (default strategy `select_replace`) renames the increment call to a private
    helper, `otpfix_update_counter_unless(tab, key, incr, default, over?)`, passes it the
    over-limit test as a function (`&(&1 > @limit)`), deletes the rollback line, and adds
    the helper (with `otpfix_literal_key?/1`) once at the end of the module, documented by
    a comment. The helper is a compare-and-swap loop: `:ets.lookup`, compute the new count,
    and if it is allowed, `:ets.select_replace` with a match spec that replaces exactly the
    object read (retry if another process got there first); a missing key is created with
    `:ets.insert_new` of the default object, then retried. The user's condition and branch
    bodies stay byte-identical: the helper returns the new count when allowed and, when
    denied, the count the increment would have produced (what the original code saw), so
    `n - 1` or `{:error, n}` in the denied branch give the same result.

    Option `strategy = "threshold"`: instead of the helper, the increment becomes one
    saturating `:ets.update_counter(tab, key, {pos, 1, limit, limit + 1}, default)`
    (`{pos, 1, limit - 1, limit}` for `>=`) and the rollback line is deleted.

    ## Why
    Between the increment and the rollback every other process sees the counter above the
    limit: a reader (a dashboard, a `remaining` header, a sliding window built on the count)
    gets wrong numbers, and a burst of denied callers doubles the writes on a hot key. The
    compare-and-swap never stores a count above the limit, and a denied call writes nothing.

    ## Example
    Before:

        n = :ets.update_counter(tab, key, {2, 1}, {key, 0})
        if n > @limit do
          :ets.update_counter(tab, key, {2, -1})
          {:error, n}
        else
          {:ok, n}
        end

    After (and the helper at the end of the module):

        n = otpfix_update_counter_unless(tab, key, {2, 1}, {key, 0}, &(&1 > @limit))
        if n > @limit do
          {:error, n}
        else
          {:ok, n}
        end

    ## Fix safety
    `select_replace`: safe. For calls made one after another, every call returns the same
    value as before and leaves the same table contents (the denied call used to add and
    take back the increment; now it adds nothing). Under concurrency the counter never
    exceeds the limit and exactly `limit` increments are allowed. The fix is offered only
    when the pattern matched exactly: the rollback is the first expression of the denied
    branch and not its last (its value is unused), the check follows the increment
    directly, the table, key and limit are plain terms (variables, module attributes,
    literals, field access) that can be evaluated again without effect, and the call has
    parentheses; otherwise the finding comes without a fix.
    Not proved: the helper reads the table's `keypos` and handles any tuple size, but a
    counter that is not an integer makes it raise `ArithmeticError` (or count in floats)
    where `update_counter` raised `ArgumentError`; a key containing `:_`, `:"$1"`-like atoms
    or maps cannot be bound in a match head, so for such keys each call scans the table
    (correct, but O(table size)); on a `bag` table (where `update_counter` always fails)
    it fails differently. A comment above the deleted rollback line stays.

    `threshold`: unsafe, needs review. One atomic call, exactly `limit` allowed under
    concurrency, and for an increment of 1 the denied branch sees `limit + 1`, which is
    what the original code saw when called one at a time from a counter at or below the
    limit. But the stored counter is different: after the first denial it rests at
    `limit + 1` (readers see one above the limit) where the original left `limit`; a
    counter already above the limit is clamped to `limit + 1`; the limit must be an
    integer (`update_counter` raises on a float threshold). Offered only for an increment
    written `{pos, 1}` and a denial when the count is large (`>`/`>=`): with another step
    the denied value would differ from the original's.
    """

    id = "atomic-rate-limit"
    summary = "Replace an :ets.update_counter increment-then-rollback with an atomic check-and-increment"
    fixable = True
    needles = (b"update_counter",)
    default_options = {"strategy": "select_replace"}

    def __init__(self, options=None) -> None:
        super().__init__(options)
        if self.options["strategy"] not in STRATEGIES:
            raise ValueError(
                f"rule {self.id}: option strategy must be one of "
                + ", ".join(repr(s) for s in STRATEGIES)
                + f", not {self.options['strategy']!r}"
            )

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter: a finding needs two `:ets.update_counter` calls (the
        increment and its rollback, two nodes: a call cannot be its own rollback, its
        amount would have to be its own negation and not 0), each written with its own
        `update_counter` identifier and its `:ets` left side."""
        first = data.find(b"update_counter")
        return first != -1 and data.find(b"update_counter", first + 1) != -1 and b":ets" in data

    def check(self, ctx: Context) -> Iterator[Finding]:
        # The `:ets.update_counter` calls of a walk of the tree, in the same order,
        # from the byte positions of ":ets" instead of the walk.
        for node in _COUNTER.find(ctx.root, ctx.data):
            if enclosing(node, lambda n: call_name(n) == "quote") is not None:
                continue
            site = _match_site(node)
            if site is None:
                continue
            yield self._finding(ctx, site)

    def _finding(self, ctx: Context, site: "Site") -> Finding:
        message = (
            "rate limit by increment-then-rollback: until the rollback, other processes "
            "see the counter above the limit"
        )
        fix, reason = None, site.no_fix
        if reason is None:
            if self.options["strategy"] == "threshold":
                fix, reason = _threshold_fix(ctx, site)
            else:
                fix, reason = _select_replace_fix(ctx, site)
        if fix is None:
            message += f"; no automatic fix: {reason}"
        return ctx.finding(site.incr.call, message, fix)


# -- matching ------------------------------------------------------------------------------


@dataclass
class Counter:
    """An `:ets.update_counter` call, direct or piped (`tab |> :ets.update_counter(...)`)."""

    call: Node
    expr: Node  # the call, or the pipe that feeds it its table
    tab: Node
    key: Node
    op: Node  # `{pos, amount}` or a bare amount
    pos: int | None  # None for a bare amount (the element after the key)
    amount: Node
    default: Node | None


@dataclass
class Site:
    incr: Counter
    rollback: Counter
    comparison: Node
    limit: Node
    deny_op: str  # the denied branch runs when `value deny_op limit`
    deny: list[Node]  # statements of the denied branch
    bound: set[str]  # variables the pattern binds to the count
    no_fix: str | None = None


def _same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and (a.start_byte, a.end_byte, a.type) == (
        b.start_byte,
        b.end_byte,
        b.type,
    )


def _named(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"]


def _counter(call: Node) -> Counter | None:
    if call.type != "call" or call_name(call) != COUNTER_CALL:
        return None
    args = call_args(call)
    if any(a.type == "keywords" for a in args):
        return None
    parent = call.parent
    expr = call
    if (
        parent is not None
        and parent.type == "binary_operator"
        and operator(parent) == "|>"
        and _same(parent.child_by_field_name("right"), call)
    ):
        tab, rest, expr = parent.child_by_field_name("left"), args, parent
    elif args:
        tab, rest = args[0], args[1:]
    else:
        return None
    if tab is None or len(rest) not in (2, 3):
        return None
    key, op = rest[0], rest[1]
    pos, amount = None, op
    if op.type == "tuple":
        items = _named(op)
        if len(items) != 2 or _int(items[0]) is None:
            return None
        pos, amount = _int(items[0]), items[1]
    if _amount(amount) is None:
        return None
    return Counter(call, expr, tab, key, op, pos, amount, rest[2] if len(rest) == 3 else None)


def _int(node: Node) -> int | None:
    """The value of an integer literal (`1`, `1_000`, `0x10`, `-1`), else None."""
    negative = False
    if node.type == "unary_operator" and operator(node) == "-":
        operand = node.child_by_field_name("operand")
        if operand is None:
            return None
        node, negative = operand, True
    if node.type != "integer":
        return None
    try:
        value = int(text_of(node).replace("_", ""), 0)
    except ValueError:
        return None
    return -value if negative else value


def _amount(node: Node) -> tuple | None:
    """("int", n) or ("var", name, sign) for an increment amount; None otherwise."""
    value = _int(node)
    if value is not None:
        return ("int", value)
    if node.type == "identifier":
        return ("var", text_of(node), 1)
    if node.type == "unary_operator" and operator(node) == "-":
        operand = node.child_by_field_name("operand")
        if operand is not None and operand.type == "identifier":
            return ("var", text_of(operand), -1)
    return None


def _negated(a: tuple, b: tuple) -> bool:
    if a[0] == "int" and b[0] == "int":
        return a[1] != 0 and a[1] == -b[1]
    if a[0] == "var" and b[0] == "var":
        return a[1] == b[1] and a[2] == -b[2]
    return False


def _is_rollback(candidate: Counter, incr: Counter) -> bool:
    return (
        text_of(candidate.tab) == text_of(incr.tab)
        and text_of(candidate.key) == text_of(incr.key)
        and candidate.pos == incr.pos
        and _negated(_amount(candidate.amount), _amount(incr.amount))  # type: ignore[arg-type]
    )


def _text(node: Node) -> str:
    """A node's text on one line (runs of whitespace collapsed), for generated code."""
    return " ".join(text_of(node).split())


def _unparen(node: Node) -> Node:
    while node.type == "block":
        inner = _named(node)
        if len(inner) != 1:
            return node
        node = inner[0]
    return node


def _comparison(node: Node, is_value: Callable[[Node], bool]):
    """(op with the value on the left, limit node, comparison node) for `value OP limit`
    or `limit OP value`; None for anything else."""
    node = _unparen(node)
    if node.type != "binary_operator" or operator(node) not in COMPARISONS:
        return None
    op = operator(node)
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return None
    if is_value(left) and not is_value(right):
        return op, right, node
    if is_value(right) and not is_value(left):
        return FLIP[op], left, node
    return None


def _clauses(block: Node) -> list[Node] | None:
    items = _named(block)
    if not items or any(c.type != "stab_clause" for c in items):
        return None
    return items


def _clause_head(clause: Node) -> tuple[Node | None, Node | None]:
    """(pattern, guard) of a stab clause with exactly one pattern."""
    head = clause.named_children[0] if clause.named_children else None
    if head is None:
        return None, None
    guard = None
    if head.type == "binary_operator" and operator(head) == "when":
        guard = head.child_by_field_name("right")
        head = head.child_by_field_name("left")
    if head is None or head.type != "arguments":
        return None, None
    pattern = _named(head)
    if len(pattern) != 1:
        return None, None
    return pattern[0], guard


def _clause_body(clause: Node) -> list[Node]:
    body = clause.child_by_field_name("right")
    if body is None:
        body = next((c for c in clause.named_children if c.type == "body"), None)
    return _named(body) if body is not None else []


def _is_catch_all(pattern: Node) -> bool:
    return pattern.type == "identifier"


def _analyse(cond_call: Node, is_value: Callable[[Node], bool]):
    """The check of a conditional on the counter value.

    Returns (comparison tuple, statements run when the comparison is true, statements run
    when it is false, names bound to the value) or None when the shape is not known."""
    name = call_name(cond_call)
    block = do_block(cond_call)
    if block is None or any(c.type in ("rescue_block", "catch_block", "after_block") for c in block.named_children):
        return None
    args = call_args(cond_call)
    if name in ("if", "unless"):
        if len(args) != 1:
            return None
        cmp = _comparison(args[0], is_value)
        if cmp is None:
            return None
        then = block_expressions(block)
        else_block = next((c for c in block.named_children if c.type == "else_block"), None)
        other = _named(else_block) if else_block is not None else []
        if name == "if":
            return cmp, then, other, set()
        return cmp, other, then, set()
    if any(c.type == "else_block" for c in block.named_children):
        return None
    clauses = _clauses(block)
    if clauses is None or len(clauses) != 2:
        return None
    first, second = clauses
    if name == "cond":
        if args:
            return None
        p1, g1 = _clause_head(first)
        p2, g2 = _clause_head(second)
        if p1 is None or g1 is not None or p2 is None or g2 is not None:
            return None
        if p2.type != "boolean" or text_of(p2) != "true":
            return None
        cmp = _comparison(p1, is_value)
        if cmp is None:
            return None
        return cmp, _clause_body(first), _clause_body(second), set()
    if name != "case" or len(args) != 1:
        return None
    subject = args[0]
    p1, g1 = _clause_head(first)
    p2, g2 = _clause_head(second)
    if p1 is None or p2 is None or g2 is not None:
        return None
    if is_value(subject):
        # case n do m when m > limit -> ...; _ -> ... end
        if g1 is None or p1.type != "identifier" or text_of(p1).startswith("_"):
            return None
        if not _is_catch_all(p2):
            return None
        var = text_of(p1)
        cmp = _comparison(g1, lambda n: n.type == "identifier" and text_of(n) == var)
        if cmp is None:
            return None
        bound = {var}
        if not text_of(p2).startswith("_"):
            bound.add(text_of(p2))
        return cmp, _clause_body(first), _clause_body(second), bound
    # case n > limit do true -> ...; false -> ... end
    cmp = _comparison(subject, is_value)
    if cmp is None or g1 is not None:
        return None
    b1, b2 = _bool_pattern(p1), _bool_pattern(p2)
    if b1 is None or b2 is None:
        return None
    if b1 == "_" or (b2 != "_" and b1 == b2):
        return None
    if b1 == "true":
        return cmp, _clause_body(first), _clause_body(second), set()
    return cmp, _clause_body(second), _clause_body(first), set()


def _bool_pattern(pattern: Node) -> str | None:
    if pattern.type == "boolean":
        return text_of(pattern)
    if pattern.type == "identifier" and text_of(pattern).startswith("_"):
        return "_"
    return None


def _rollbacks(statements: list[Node], incr: Counter) -> list[Counter]:
    out = []
    for stmt in statements:
        for node in walk(stmt):
            if node.type == "call" and call_name(node) == COUNTER_CALL:
                candidate = _counter(node)
                if candidate is not None and _is_rollback(candidate, incr):
                    out.append(candidate)
    return out


def _next_statement(node: Node) -> Node | None:
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


def _conditional_of(stmt: Node | None) -> Node | None:
    """`if/unless/cond/case ...`, also as the right side of `result = ...`."""
    if stmt is None:
        return None
    if stmt.type == "binary_operator" and operator(stmt) == "=":
        stmt = stmt.child_by_field_name("right")
    if stmt is not None and stmt.type == "call" and call_name(stmt) in CONDITIONALS:
        return stmt
    return None


BLOCK_TYPES = frozenset({"do_block", "body", "else_block", "source", "block"})


def _match_site(call: Node) -> Site | None:
    incr = _counter(call)
    if incr is None:
        return None
    expr = incr.expr
    parent = expr.parent
    if parent is None:
        return None
    bound: set[str] = set()
    analysed = None
    if (
        parent.type == "binary_operator"
        and operator(parent) == "="
        and _same(parent.child_by_field_name("right"), expr)
        and parent.parent is not None
        and parent.parent.type in BLOCK_TYPES
    ):
        # n = :ets.update_counter(...) followed directly by the check
        var_node = parent.child_by_field_name("left")
        if var_node is None or var_node.type != "identifier" or text_of(var_node).startswith("_"):
            return None
        var = text_of(var_node)
        bound.add(var)
        cond = _conditional_of(_next_statement(parent))
        if cond is None:
            return None
        analysed = _analyse(cond, lambda n: n.type == "identifier" and text_of(n) == var)
    elif parent.type == "arguments" and parent.parent is not None:
        # case :ets.update_counter(...) do ... end
        owner = parent.parent
        if call_name(owner) == "case" and len(call_args(owner)) == 1:
            analysed = _analyse(owner, lambda n: _same(n, expr))
    elif parent.type == "binary_operator" and operator(parent) in COMPARISONS:
        # if :ets.update_counter(...) > limit do ... end
        holder = parent.parent
        if holder is not None and holder.type == "arguments" and holder.parent is not None:
            owner = holder.parent
            if call_name(owner) in ("if", "unless", "case") and len(call_args(owner)) == 1:
                analysed = _analyse(owner, lambda n: _same(n, expr))
    if analysed is None:
        return None
    (op, limit, comparison), when_true, when_false, more_bound = analysed
    bound |= more_bound
    # The pattern must not rebind what the increment and the rollback are made of.
    used = identifiers_in(incr.tab) | identifiers_in(incr.key) | identifiers_in(incr.amount)
    if bound & used or bound & identifiers_in(limit):
        return None
    in_true, in_false = _rollbacks(when_true, incr), _rollbacks(when_false, incr)
    if not in_true and not in_false:
        return None
    deny_when_true = bool(in_true)
    deny = when_true if deny_when_true else when_false
    rollbacks = in_true or in_false
    site = Site(
        incr=incr,
        rollback=rollbacks[0],
        comparison=comparison,
        limit=limit,
        deny_op=op if deny_when_true else NEGATE[op],
        deny=deny,
        bound=bound,
    )
    if in_true and in_false:
        site.no_fix = "both branches roll the counter back"
    elif len(rollbacks) > 1:
        site.no_fix = "the denied branch rolls the counter back more than once"
    else:
        site.no_fix = _exactness(site)
    return site


def _rollback_statement(site: Site) -> Node | None:
    """The statement of the denied branch that is the rollback (`_ = ` or piped too)."""
    if not site.deny:
        return None
    stmt = site.deny[0]
    node = stmt
    if node.type == "binary_operator" and operator(node) == "=":
        left = node.child_by_field_name("left")
        if left is None or left.type != "identifier" or not text_of(left).startswith("_"):
            return None
        if any(
            n.type == "identifier" and text_of(n) == text_of(left)
            for s in site.deny[1:]
            for n in walk(s)
        ) and text_of(left) != "_":
            return None
        node = node.child_by_field_name("right")
    if node is None or not _same(node, site.rollback.expr):
        return None
    return stmt


def _exactness(site: Site) -> str | None:
    """Why the fix cannot be offered, or None when the pattern matched exactly."""
    incr = site.incr
    stmt = _rollback_statement(site)
    if stmt is None:
        return "the rollback is not the first expression of the denied branch"
    if len(site.deny) < 2:
        return "the rollback's result is the value of the denied branch"
    for what, node in (("table", incr.tab), ("key", incr.key)):
        if not _plain(node):
            return f"the {what} expression is not a plain term (it would be evaluated a different number of times)"
    if not _plain_limit(site.limit):
        return "the limit is not a literal, variable, module attribute or field"
    args = arguments_node(incr.call)
    if args is None or args.child_count == 0 or args.children[0].type != "(":
        return "the increment call has no parentheses"
    return None


def _plain(node: Node) -> bool:
    """A term built only from literals, variables, module attributes and field access."""
    t = node.type
    if t in ("identifier", "atom", "quoted_atom", "integer", "float", "alias", "boolean", "nil", "char"):
        return True
    if t in ("tuple", "list"):
        return all(_plain(c) for c in _named(node))
    if t == "string":
        for c in node.named_children:
            if c.type == "interpolation":
                inner = _named(c)
                if len(inner) != 1 or not _plain(inner[0]):
                    return False
            elif c.type not in ("quoted_content", "escape_sequence"):
                return False
        return True
    return _plain_limit(node)


def _plain_limit(node: Node) -> bool:
    if _int(node) is not None:
        return True
    if node.type == "identifier":
        return True
    if node.type == "unary_operator" and operator(node) == "@":
        operand = node.child_by_field_name("operand")
        return operand is not None and operand.type == "identifier"
    if node.type == "call" and arguments_node(node) is None and do_block(node) is None:
        target = node.child_by_field_name("target")
        if target is not None and target.type == "dot":
            left, right = target.child_by_field_name("left"), target.child_by_field_name("right")
            return (
                left is not None
                and right is not None
                and left.type == "identifier"
                and right.type == "identifier"
            )
    return False


# -- fixes ---------------------------------------------------------------------------------


def _delete_line(ctx: Context, stmt: Node) -> Edit | None:
    """Delete the line(s) holding `stmt` when nothing else but a comment shares them."""
    src = ctx.source
    if not src.is_first_on_line(stmt.start_byte):
        return None
    end = src.line_end(stmt.end_byte)
    tail = src.data[stmt.end_byte : end].strip(b" \t")
    if tail and not tail.startswith(b"#"):
        return None
    newline = src.data.find(b"\n", stmt.end_byte)
    if newline == -1:
        return None
    return Edit.delete(src.line_start(stmt.start_byte), newline + 1)


def _threshold_fix(ctx: Context, site: Site):
    incr = site.incr
    amount = _amount(incr.amount)
    if incr.pos is None or amount != ("int", 1):
        return None, "strategy threshold needs the increment written {pos, 1}"
    if site.deny_op not in (">", ">="):
        return None, "strategy threshold needs the denial to be `count > limit` or `count >= limit`"
    delete = _delete_line(ctx, _rollback_statement(site))  # type: ignore[arg-type]
    if delete is None:
        return None, "the rollback shares its line with other code"
    limit_text = _text(site.limit)
    value = _int(site.limit)
    if site.deny_op == ">":
        threshold = limit_text
        set_value = str(value + 1) if value is not None else f"{limit_text} + 1"
    else:
        threshold = str(value - 1) if value is not None else f"{limit_text} - 1"
        set_value = limit_text
    edits = [Edit.insert(incr.amount.end_byte, f", {threshold}, {set_value}"), delete]
    return make_fix("Saturate the counter with one :ets.update_counter threshold", edits, safe=False), None


def _defined_functions(module: Node) -> set[str]:
    names = set()
    block = do_block(module)
    if block is None:
        return names
    for child in block.named_children:
        if child.type == "call" and call_name(child) in DEF_KEYWORDS:
            head = def_head(child)
            if head is not None:
                names.add(head[0])
    return names


def _select_replace_fix(ctx: Context, site: Site):
    incr = site.incr
    module = enclosing(incr.call, lambda n: n.type == "call" and call_name(n) in MODULE_DEFINERS)
    if module is None or call_name(module) != "defmodule":
        return None, "the code is not directly inside a defmodule (the fix adds a private helper)"
    block = do_block(module)
    if block is None or not block.children or block.children[-1].type != "end":
        return None, "the module has no do ... end block"
    module_end = block.children[-1]
    if not ctx.source.is_first_on_line(module_end.start_byte):
        return None, "the module's `end` does not start a line"
    defined = _defined_functions(module)
    has = {HELPER, KEY_HELPER} & defined
    if has and has != {HELPER, KEY_HELPER}:
        return None, f"the module already defines {', '.join(sorted(has))}"
    delete = _delete_line(ctx, _rollback_statement(site))  # type: ignore[arg-type]
    if delete is None:
        return None, "the rollback shares its line with other code"
    target = incr.call.child_by_field_name("target")
    args = [c for c in call_args(incr.call)]
    if target is None or not args:
        return None, "unexpected call shape"
    over = f"&(&1 {site.deny_op} {_text(site.limit)})"
    extra = (", nil" if incr.default is None else "") + f", {over}"
    edits = [
        Edit(target.start_byte, target.end_byte, HELPER),
        Edit.insert(args[-1].end_byte, extra),
        delete,
    ]
    if not has:
        body = [c for c in _named(block)]
        indent = (
            ctx.source.indent_of(body[0].start_byte)
            if body and ctx.source.is_first_on_line(body[0].start_byte)
            else ctx.source.indent_of(module_end.start_byte) + "  "
        )
        lines = [(indent + line if line else "") for line in HELPER_TEXT.split("\n")[:-1]]
        edits.append(Edit.insert(ctx.source.line_start(module_end.start_byte), "\n" + "\n".join(lines) + "\n"))
    title = f"Check and increment atomically with {HELPER} (compare-and-swap on :ets.select_replace)"
    return make_fix(title, edits, safe=True), None
