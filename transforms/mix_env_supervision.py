"""mix-env-supervision: supervisor children or options chosen by the build environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import (
    effective_args,
    call_args,
    call_name,
    do_block,
    identifiers_in,
    keyword_pairs,
    keyword_value,
    operator,
    text_of,
    walk,
)
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._locate import CallNames
from ._supervision import (
    SUPERVISOR_CALLS,
    Scope,
    in_quote,
    is_variable,
    own_nodes,
    local_binding,
    module_of,
    unwrap_block,
)

ENVS = frozenset({":test", ":dev", ":prod"})
PRODUCTION = ":prod"
ENV_KEYS = frozenset({":env", ":environment"})
APP_ENV_CALLS = frozenset(
    {
        "Application.get_env",
        "Application.compile_env",
        "Application.compile_env!",
        "Application.fetch_env!",
    }
)
STRING_NODES = frozenset({"string", "charlist", "sigil", "quoted_atom", "quoted_keyword"})


@dataclass
class Conditional:
    node: Node  # the whole if/unless/case/cond
    source: str  # "Mix.env()" or "Application.get_env(...)"
    branch: list[Node] | None  # what production evaluates (comments included), None: unknown
    reason: str = ""  # why branch is None
    via: tuple[Node, ...] = ()  # variables/attributes read on the way to the environment


class MixEnvSupervision(Transform):
    """Replace an environment-dependent supervisor setting with the value production uses.

    ## What it does
    Looks at what is passed to `Supervisor.start_link/2,3` and `Supervisor.init/2`: the
    options (the whole list, one option such as `max_restarts:` or `max_seconds:` alone, or
    an operand of `++`) and the children list (the whole list, one element, or an operand
    of `++`), directly or through a variable bound in the same function. When one of them is a conditional on the
    build environment, the rule reports it and the fix replaces the whole conditional by the
    branch production takes, keeping that branch's text and comments (re-indented to the
    conditional's place).

    Conditionals recognised: `if`/`unless` (block or `do:`/`else:` form) whose condition
    compares the environment with `:test`, `:dev` or `:prod` (`==`, `!=`, `===`, `!==`,
    `in [...]`, `not in [...]`, `not`/`!` of these); `case ENV do ... end` (the first clause
    whose pattern is `:prod`, `_` or an unused variable); `cond` whose clauses are such
    comparisons or `true`. ENV is `Mix.env()`, `Application.get_env(app, :env)` (or
    `:environment`; also `compile_env`, `compile_env!`, `fetch_env!`), a variable bound to
    one of them in the same function, or a module attribute set to one of them.

    Reported without a fix: a production branch that does not exist (`if` without `else`
    that is false in production), that has more than one expression, a `case` clause with a
    guard, or a branch that cannot be moved without changing its text (a multi-line string
    that would need re-indenting, a trailing comment followed by code on the same line).

    Other uses of `Mix.env()` at runtime are the business of the `mix-env-runtime` rule.
    Arguments of the child specs themselves (`{Worker, interval: ...}`) are not looked at.

    ## Why
    `Mix` is a build tool: it is not available in a release, so `Mix.env()` called at
    runtime raises there. And a supervision tree that differs by environment means the
    tests run a tree production never runs (other children, other restart limits), so
    they cannot catch restart bugs in the real one. Test-only tweaks belong in
    configuration read by the children, not in the shape of the tree.

    ## Example
    Before:

        opts =
          if Mix.env() == :test do
            [strategy: :one_for_one, max_restarts: 100]
          else
            [strategy: :one_for_one, name: MyApp.Supervisor]
          end

        Supervisor.start_link(children, opts)

    After:

        opts =
          [strategy: :one_for_one, name: MyApp.Supervisor]

        Supervisor.start_link(children, opts)

    ## Fix safety
    Unsafe: the test (or dev) behaviour changes on purpose; the tree now is the production
    tree everywhere. Tests that relied on the other branch (a high `max_restarts`, a child
    left out) may need their own setup. The production branch is chosen by assuming the
    production environment is `:prod`; for `Application.get_env(app, :env)` the rule
    assumes the application's `:env` is set to the Mix environment's name. Comments inside
    the removed branches are removed with them. A variable or module attribute that held
    the environment (`env = Mix.env()`, `@env Mix.env()`) is deleted when the removed
    conditional was its only reader (a leftover `env = Mix.env()` would still raise in a
    release, an unused attribute would warn); otherwise it stays.
    """

    id = "mix-env-supervision"
    summary = "Replace a Mix.env()-dependent supervisor setting with the production value"
    fixable = True
    skip_tests = True
    needles = (b"Mix", b"get_env", b"compile_env", b"fetch_env")

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter: besides a needle, the file must name `Supervisor`: every
        finding is about an argument of a call whose `call_name` is `Supervisor.start_link`
        or `Supervisor.init`, i.e. whose target's left side is written `Supervisor`.
        `Mix.env` is looked for as `Mix` and `env` (Elixir also reads `Mix . env()` and a
        dot at the end of a line as that call)."""
        if b"Supervisor" not in data or not super().could_match(data):
            return False
        return b"get_env" in data or b"compile_env" in data or b"fetch_env" in data or b"env" in data

    def check(self, ctx: Context) -> Iterator[Finding]:
        seen: set[int] = set()
        for call in _supervisor_calls(ctx.root, ctx.data):
            scope = _LazyScope(module_of(call))
            args = effective_args(call)
            name = call_name(call)
            targets: list[tuple[Node, str]] = []
            if len(args) == 2 and scope.name(args[0]) is None and text_of(args[0]) != "__MODULE__":
                targets = [(args[0], "children"), (args[1], "options")]
            elif len(args) == 3:
                targets = [(args[2], "options")]
            for node, role in targets:
                for found in _scan(node, role, scope):
                    if found[0].node.start_byte in seen:
                        continue
                    seen.add(found[0].node.start_byte)
                    yield self._finding(ctx, name, *found)

    def _finding(self, ctx: Context, call: str, cond: Conditional, what: str) -> Finding:
        release = " (and Mix is not available in a release)" if cond.source == "Mix.env()" else ""
        message = (
            f"{what} passed to {call} {'depend' if what.startswith('the supervisor options') else 'depends'} "
            f"on {cond.source}: tests run a different "
            f"supervision tree than production{release}; keep the value production uses"
        )
        fix = None
        reason = cond.reason
        if cond.branch is not None:
            text, reason = _replacement(ctx, cond)
            if text is not None:
                edits = [Edit(cond.node.start_byte, cond.node.end_byte, text)]
                edits += _unused_bindings(ctx, cond)
                fix = make_fix("Keep the production branch", edits, safe=False)
        if fix is None:
            message += f". Not fixed: {reason}"
        return ctx.finding(cond.node, message, fix)


# -- where to look -------------------------------------------------------------------------

_SUPERVISOR_CALLS = CallNames(SUPERVISOR_CALLS)


def _supervisor_calls(root: Node, data: bytes) -> list[Node]:
    """`supervisor_calls(root)` (same calls, same order) from the byte positions of
    "Supervisor" instead of a walk of the whole tree."""
    return [n for n in _SUPERVISOR_CALLS.find(root, data) if not in_quote(n)]


class _LazyScope(Scope):
    """`Scope(module)`, built on first use of what it knows: most supervisor calls hold
    no environment conditional, `Scope.name` needs it only for some nodes, and building
    a scope walks the whole module."""

    def __init__(self, module: Node | None) -> None:  # noqa: D107 (no Scope.__init__)
        self._node = module
        self._built: Scope | None = None

    def _scope(self) -> Scope:
        if self._built is None:
            self._built = Scope(self._node)
        return self._built

    module = property(lambda self: self._scope().module)  # type: ignore[assignment]
    aliases = property(lambda self: self._scope().aliases)  # type: ignore[assignment]
    attributes = property(lambda self: self._scope().attributes)  # type: ignore[assignment]


def _scan(node: Node | None, role: str, scope: Scope, depth: int = 0):
    """(Conditional, description) for every environment conditional feeding `node`."""
    if node is None or depth > 4:
        return
    node = unwrap_block(node)
    what = "the supervisor options" if role == "options" else "the children list"
    cond = _conditional(node, scope)
    if cond is not None:
        yield cond, what
        return
    if node.type == "identifier":
        bound = local_binding(node)
        if bound is not None:
            yield from _scan(bound[0], role, scope, depth + 1)
        return
    if node.type == "binary_operator" and operator(node) == "++":
        for side in ("left", "right"):
            yield from _scan(node.child_by_field_name(side), role, scope, depth + 1)
        return
    if role == "options" and node.type in ("list", "keywords"):
        for key, _pair, value in keyword_pairs(node):
            value = unwrap_block(value)
            if value.type == "identifier":
                bound = local_binding(value)
                value = unwrap_block(bound[0]) if bound is not None else value
            cond = _conditional(value, scope)
            if cond is not None:
                yield cond, f"option `{key}`"
        return
    if role == "children":
        if node.type == "list":
            for item in node.named_children:
                cond = _conditional(unwrap_block(item), scope)
                if cond is not None:
                    yield cond, "a child in the children list"


# -- the environment -----------------------------------------------------------------------


def _env_source(node: Node | None, scope: Scope, via: list[Node] | None = None, depth: int = 0) -> str | None:
    """How `node` reads the environment ("Mix.env()", ...), or None. The variable and
    attribute bindings followed on the way are appended to `via`."""
    if node is None or depth > 3:
        return None
    node = unwrap_block(node)
    if node.type == "call":
        name = call_name(node)
        args = call_args(node)
        if name == "Mix.env" and not args:
            return "Mix.env()"
        if name in APP_ENV_CALLS and len(args) in (2, 3) and text_of(args[1]) in ENV_KEYS:
            return f"{name}({text_of(args[0])}, {text_of(args[1])})"
        return None
    if node.type == "identifier":
        bound = local_binding(node)
        if bound is None:
            return None
        source = _env_source(bound[0], scope, via, depth + 1)
        if source is not None and via is not None:
            via.append(node)
        return source
    if node.type == "unary_operator" and operator(node) == "@":
        operand = node.child_by_field_name("operand")
        if operand is not None and operand.type == "identifier":
            source = _env_source(scope.attributes.get(text_of(operand)), scope, via, depth + 1)
            if source is not None and via is not None:
                via.append(node)
            return source
    return None


def _env_test(node: Node | None, scope: Scope, via: list[Node] | None = None) -> tuple[bool, str] | None:
    """(is the condition true in production, the environment's source) or None."""
    if node is None:
        return None
    node = unwrap_block(node)
    op = operator(node)
    if node.type == "unary_operator" and op in ("not", "!"):
        inner = _env_test(node.child_by_field_name("operand"), scope, via)
        return None if inner is None else (not inner[0], inner[1])
    if node.type != "binary_operator":
        return None
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if op in ("==", "===", "!=", "!=="):
        for env, value in ((left, right), (right, left)):
            source = _env_source(env, scope, via)
            if source is not None and value is not None and value.type == "atom" and text_of(value) in ENVS:
                equal = text_of(value) == PRODUCTION
                return (equal if op in ("==", "===") else not equal), source
        return None
    if op in ("in", "not in"):
        source = _env_source(left, scope, via)
        if source is None or right is None or right.type != "list":
            return None
        atoms = [text_of(c) for c in right.named_children if c.type != "comment"]
        if not atoms or any(a not in ENVS for a in atoms):
            return None
        member = PRODUCTION in atoms
        return (member if op == "in" else not member), source
    return None


def _conditional(node: Node, scope: Scope) -> Conditional | None:
    cond = _conditional_of(node, scope)
    return cond


def _conditional_of(node: Node, scope: Scope) -> Conditional | None:
    if node.type != "call":
        return None
    name = call_name(node)
    args = call_args(node)
    via: list[Node] = []
    if name in ("if", "unless") and args:
        test = _env_test(args[0], scope, via)
        if test is None:
            return None
        truth = test[0] if name == "if" else not test[0]
        then, other = _if_branches(node, args)
        branch = then if truth else other
        if branch is None:
            return Conditional(node, test[1], None, "production takes no branch (the value is nil)")
        return Conditional(node, test[1], branch, via=tuple(via))
    if name == "case" and len(args) == 1:
        source = _env_source(args[0], scope, via)
        if source is None:
            return None
        cond = _case(node, source)
        cond.via = tuple(via)
        return cond
    if name == "cond" and not args:
        return _cond(node, scope, via)
    return None


def _if_branches(node: Node, args: list[Node]):
    block = do_block(node)
    if block is not None:
        then: list[Node] = []
        other = None
        for child in block.named_children:
            if child.type == "else_block":
                other = list(child.named_children)
            elif child.type in ("rescue_block", "catch_block", "after_block"):
                return None, None
            else:
                then.append(child)
        return then, other
    if len(args) == 2 and args[1].type == "keywords":
        do = keyword_value(args[1], "do")
        other = keyword_value(args[1], "else")
        return ([do] if do is not None else None), ([other] if other is not None else None)
    return None, None


def _clauses(node: Node) -> list[Node]:
    block = do_block(node)
    if block is None:
        return []
    return [c for c in block.named_children if c.type == "stab_clause"]


def _clause_parts(clause: Node) -> tuple[list[Node], list[Node]]:
    left = clause.child_by_field_name("left")
    right = clause.child_by_field_name("right")
    patterns = [c for c in left.named_children if c.type != "comment"] if left is not None else []
    body = list(right.named_children) if right is not None else []
    return patterns, body


def _case(node: Node, source: str) -> Conditional:
    for clause in _clauses(node):
        patterns, body = _clause_parts(clause)
        if len(patterns) != 1:
            break
        pattern = patterns[0]
        if pattern.type == "atom":
            if text_of(pattern) == PRODUCTION:
                return Conditional(node, source, body)
            continue
        if pattern.type == "identifier":
            var = text_of(pattern)
            if not var.startswith("_") and any(var in identifiers_in(b) for b in body):
                return Conditional(node, source, None, "the production clause reads the environment variable")
            return Conditional(node, source, body)
        break
    return Conditional(node, source, None, "the clause production takes is not a plain pattern")


def _cond(node: Node, scope: Scope, via: list[Node]) -> Conditional | None:
    source = None
    chosen = None
    for clause in _clauses(node):
        patterns, body = _clause_parts(clause)
        if len(patterns) != 1:
            return None
        condition = unwrap_block(patterns[0])
        if condition.type == "boolean" and text_of(condition) == "true":
            truth = True
        else:
            test = _env_test(condition, scope, via)
            if test is None:
                return None  # a cond on something else: not an environment conditional
            truth, source = test
        if truth and chosen is None:
            chosen = body
    if source is None:
        return None
    if chosen is None:
        return Conditional(node, source, None, "no clause is true in production")
    return Conditional(node, source, chosen, via=tuple(via))


# -- the replacement -----------------------------------------------------------------------


def _replacement(ctx: Context, cond: Conditional) -> tuple[str | None, str]:
    """The production branch's text, re-indented for the conditional's place."""
    branch = cond.branch or []
    expressions = [n for n in branch if n.type != "comment"]
    if len(expressions) != 1:
        return None, "the production branch is not a single expression"
    src = ctx.source
    start, end = branch[0].start_byte, branch[-1].end_byte
    if branch[-1].type == "comment":
        rest = ctx.data[cond.node.end_byte : src.line_end(cond.node.end_byte)]
        if rest.strip():
            return None, "the branch ends with a comment and code follows on the same line"
    if branch[0].type == "comment" and not src.is_first_on_line(cond.node.start_byte):
        return None, "the branch starts with a comment and the conditional does not start its line"
    text = ctx.data[start:end].decode("utf-8").replace("\r\n", "\n")
    if "\n" not in text:
        return text, ""
    shift = len(src.indent_of(start)) - len(src.indent_of(cond.node.start_byte))
    if shift == 0:
        return text, ""
    if shift < 0:
        return None, "the branch is indented less than the conditional"
    for node in expressions:
        for inner in walk(node):
            if inner.type in STRING_NODES and b"\n" in ctx.data[inner.start_byte : inner.end_byte]:
                return None, "the branch holds a multi-line string that re-indenting would change"
    lines = text.split("\n")
    out = [lines[0]]
    pad = " " * shift
    for line in lines[1:]:
        if not line.strip():
            out.append("")
        elif line.startswith(pad):
            out.append(line[shift:])
        else:
            return None, "the branch is not indented consistently"
    return "\n".join(out), ""


def _unused_bindings(ctx: Context, cond: Conditional) -> list[Edit]:
    """Delete `env = Mix.env()` / `@env Mix.env()` when their only read goes away with the
    conditional (a leftover `Mix.env()` call would still raise in a release)."""
    edits: list[Edit] = []
    done: set[int] = set()
    for read in cond.via:
        statement = None
        if read.type == "identifier":
            bound = local_binding(read)
            if bound is None:
                continue
            statement = bound[0].parent
            name = text_of(read)
            inside = sum(1 for n in walk(cond.node) if is_variable(n, name))
            if inside != bound[1]:
                continue
        else:
            operand = read.child_by_field_name("operand")
            module = module_of(read)
            if operand is None or module is None:
                continue
            name = text_of(operand)
            reads, definitions = 0, []
            for n in own_nodes(module):
                if n.type == "unary_operator" and operator(n) == "@":
                    inner = n.child_by_field_name("operand")
                    if inner is None:
                        continue
                    if inner.type == "identifier" and text_of(inner) == name:
                        reads += 1
                    elif inner.type == "call" and text_of(inner.child_by_field_name("target")) == name:
                        definitions.append(n)
            inside = sum(
                1
                for n in walk(cond.node)
                if n.type == "unary_operator"
                and operator(n) == "@"
                and text_of(n.child_by_field_name("operand")) == name
            )
            if len(definitions) != 1 or inside != reads:
                continue
            statement = definitions[0]
        if statement is None or statement.start_byte in done:
            continue
        done.add(statement.start_byte)
        edit = _delete_lines(ctx, statement)
        if edit is not None:
            edits.append(edit)
    return edits


def _delete_lines(ctx: Context, node: Node) -> Edit | None:
    """Delete the whole lines of a statement that is alone on them."""
    src, data = ctx.source, ctx.data
    if not src.is_first_on_line(node.start_byte):
        return None
    if data[node.end_byte : src.line_end(node.end_byte)].strip():
        return None
    start = src.line_start(node.start_byte)
    end = data.find(b"\n", node.end_byte)
    end = len(data) if end == -1 else end + 1
    # Leave no doubled blank line behind.
    prev_blank = start == 0 or not data[src.line_start(start - 1) : start].strip()
    prev_opens = start > 0 and data[src.line_start(start - 1) : start].rstrip().endswith(b" do")
    nxt = data.find(b"\n", end)
    if end < len(data) and nxt != -1 and not data[end:nxt].strip() and (prev_blank or prev_opens):
        end = nxt + 1
    return Edit(start, end, "")
