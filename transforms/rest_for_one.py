"""rest-for-one: a `:one_for_one` supervisor whose later children depend on earlier ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from tree_sitter import Node, QueryCursor

from otpfix.syntax import (
    effective_args,
    block_expressions,
    arguments_node,
    call_args,
    call_name,
    compile_query,
    def_body,
    def_head,
    def_params,
    defined_module_keys,
    keyword_value,
    module_key,
    operator,
    text_of,
)
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._supervision import (
    Scope,
    branch_values,
    in_quote,
    local_binding,
    module_call,
    module_of,
    OWN_CALLS_QUERY,
    own_calls,
    supervisor_calls,
    unwrap_block,
)

#: Calls whose first argument is not a use of a running process or table.
DIRECTIVES = frozenset(
    {"alias", "import", "require", "use", "defmodule", "defstruct", "defdelegate", "quote"}
)
#: Functions of another module whose call does not need that module's process.
NOT_A_USE = frozenset({"child_spec", "start_link", "start", "__struct__", "module_info"})
#: Calls that start a process; their `name:` option registers a name.
START_FUNCTIONS = frozenset({"start_link", "start"})
_DIRECTIVES = frozenset(name.encode() for name in DIRECTIVES)
_NOT_A_USE = frozenset(name.encode() for name in NOT_A_USE)
_START_FUNCTIONS = frozenset(name.encode() for name in START_FUNCTIONS)
#: Node types `Scope.name` can resolve (a block is unwrapped first).
_NAMEABLE = frozenset({"alias", "atom", "identifier", "dot", "unary_operator", "block"})


@dataclass
class Child:
    node: Node
    module: str | None
    names: tuple[str, ...] = ()

    def label(self, position: int | None) -> str:
        what = self.module or text_of(self.node).split("\n", 1)[0]
        if self.names and self.module:
            what += f" (name: {', '.join(self.names)})"
        return f"child {position} {what}" if position is not None else f"child {what}"


@dataclass
class Children:
    static: bool
    items: list[Child] = field(default_factory=list)
    how: str = ""  # for a dynamic list: how it is built


class RestForOne(Transform):
    """Use `:rest_for_one` when a later child of a `:one_for_one` supervisor depends on an earlier one.

    ## What it does
    Finds supervisors with two or more children and the `:one_for_one` strategy:
    `Supervisor.start_link(children, strategy: :one_for_one, ...)`, `Supervisor.init(children,
    strategy: :one_for_one, ...)` (also with the options in a keyword list bound earlier in the
    same function, `opts = [...]`, and split over several lines with comments), and the
    Erlang form: an `init/1` of a supervisor module (`use Supervisor`, `@behaviour
    :supervisor`, or a module calling `:supervisor.start_link`) returning
    `{:ok, {%{strategy: :one_for_one, ...}, children}}` or `{:ok, {{:one_for_one, intensity,
    period}, children}}`. The children are a literal list, or a variable bound to a literal
    list in the same function. Options chosen by a conditional (`if Mix.env() == :test do
    [...] else [...] end`) count when every branch is a literal list with `strategy:
    :one_for_one`; the fix then changes every branch (run together with
    `mix-env-supervision`, the result is the production list with `:rest_for_one`).

    It then looks, across all scanned files, for evidence that a later child depends on an
    earlier one. A child "owns" its module (when the module's source is among the scanned
    files), the `name:` of its child spec (`{Registry, keys: :unique, name: MyApp.Registry}`),
    the names its module registers (`name:` passed to a `start_link`) and the named ETS
    tables it creates (`:ets.new(:table, [:named_table, ...])`). A later child "uses" an
    earlier one when its module's source calls a function of the earlier child's module
    (`Earlier.get(...)`), passes one of its names as the first argument of a call
    (`GenServer.call(Earlier, ...)`, `Registry.lookup(MyApp.Registry, ...)`,
    `:ets.lookup(:table, ...)`, `send(Earlier, ...)`), or names it in a `:via` tuple.
    Aliases, `__MODULE__` and module attributes bound to a literal name are resolved.

    With evidence, the finding names it (which child uses which, file:line) and the fix
    changes `:one_for_one` to `:rest_for_one`. Without evidence there is no finding: a
    supervisor of independent services is right to be `:one_for_one`. The option
    `require_evidence = false` reports every multi-child `:one_for_one` supervisor (with the
    same fix).

    A children list built at runtime (a function call, a comprehension, `++`, `[a | rest]`)
    is reported without a fix (when the children otpfix can see show a dependency, or with
    `require_evidence = false`): the order cannot be checked.

    Left alone: `DynamicSupervisor` (only `:one_for_one` exists there), `Task.Supervisor`,
    `PartitionSupervisor`, `Registry`, the options of child specs inside the children list,
    `:one_for_all`, `:rest_for_one`, a supervisor with a single child, a strategy that is not
    a literal atom, and options or children otpfix cannot resolve (a function parameter, an
    options variable bound more than once).

    ## Why
    With `:one_for_one`, when a child crashes only that child is restarted. A later child
    that looked up the earlier one (kept its pid, monitored nothing, subscribed to it,
    read its ETS table or registry) keeps running against state that died with the old
    process. `:rest_for_one` restarts the crashed child and every child started after it,
    in order, so dependants start again against the new process.

    ## Example
    Before:

        children = [
          MyApp.Cache,
          MyApp.Worker   # calls GenServer.call(MyApp.Cache, ...)
        ]

        Supervisor.start_link(children, strategy: :one_for_one, name: MyApp.Supervisor)

    After:

        Supervisor.start_link(children, strategy: :rest_for_one, name: MyApp.Supervisor)

    ## Fix safety
    Unsafe: restart behaviour changes on purpose. `:rest_for_one` restarts by position, so
    it is only right when every child comes after the children it depends on: confirm the
    order of the list. The evidence is a call found in the source, not a proof that the
    dependency needs a restart: a later child may call a pure function of an earlier
    module, or reach it by name on every call (which finds the new process by itself);
    the restart matters when the later child keeps something tied to the old process (its
    pid, a monitor, a subscription, rows in its ETS table). Dependencies through code otpfix did not scan, or through names computed at
    runtime, are not seen. A crash of an early child now also restarts the children after
    it, which counts against the supervisor's `max_restarts`.
    """

    id = "rest-for-one"
    summary = "Use :rest_for_one when a later child of a :one_for_one supervisor depends on an earlier one"
    fixable = True
    skip_tests = True
    default_options = {"require_evidence": True}
    #: Every finding is at a `:one_for_one` atom.
    needles = (b":one_for_one",)
    #: Facts are per module: a file without `defmodule` has none.
    collect_needles = (b"defmodule",)

    # -- project facts -----------------------------------------------------------------
    def collect(self, ctx: Context) -> Any:
        if b"defmodule" not in ctx.data:
            return None
        modules: dict[str, dict[str, list]] = {}
        for scope, nodes in _modules(ctx.root, ctx.data):
            if scope.module is not None:
                modules[scope.module] = _module_facts(ctx, nodes, scope)
        return {"modules": modules} if modules else None

    # -- demand ------------------------------------------------------------------------
    def provides(self, data: bytes) -> list[bytes] | None:
        """Facts are per module: the last segment of every module the file defines."""
        return defined_module_keys(data)

    def wanted(self, ctx: Context) -> Iterable[bytes] | None:
        """The key (last segment) of every module that can be a child of a supervisor of
        this file: `check` reads facts only through `_module_index`, for the modules of
        children (`_owned`, `_evidence`); a module defined in two files (left out of the
        index) has its key in both files' `provides`.

        The children are taken wider than `check` takes them, so that the re-check after
        other rules' fixes in the same run (mix-env-supervision replacing a conditional by
        its production branch, in the options, the children list or one child) reads no
        other module: every `Supervisor.start_link/init` with a children list whatever its
        options, and the expressions of every branch of a conditional where a child or
        the list can be (see `_potential_modules`)."""
        if b":one_for_one" not in ctx.data:
            return ()
        keys: set[bytes] = set()
        for expr, scope in _analysis(ctx).children_exprs:
            for module in _potential_modules(expr, scope):
                key = module_key(module)
                if key is None:
                    return None
                keys.add(key)
        return sorted(keys)

    # -- check -------------------------------------------------------------------------
    def check(self, ctx: Context) -> Iterator[Finding]:
        if b":one_for_one" not in ctx.data:
            return
        found = _analysis(ctx).found
        if not found:
            return
        index = _module_index(ctx.project)
        for strategy, children, shared in found:
            yield from self._report(ctx, strategy, children, shared, index)

    def _report(self, ctx: Context, strategy: list[Node], children: Children, shared: int, index):
        if children.static and len(children.items) < 2:
            return
        evidence = _evidence(children.items, index)
        if evidence is None and self.options["require_evidence"]:
            return
        if evidence is not None:
            j, later, i, earlier, (name, path, line, how) = evidence
            # Positions are only meaningful in a list written out in full.
            pos = (lambda k: k + 1) if children.static else (lambda k: None)
            why = (
                f"{later.label(pos(j))} depends on {earlier.label(pos(i))}: "
                f"{how} at {path}:{line}"
            )
        else:
            why = "no dependency between its children was found in the scanned files"
        n = f" with {len(children.items)} children" if children.static else ""
        message = (
            f"supervisor{n} uses :one_for_one: when a child restarts, the children that "
            f"depend on it are not restarted; {why}. Use :rest_for_one, and confirm the children are listed in "
            "dependency order (:rest_for_one restarts every child after the one that died, "
            "by position)"
        )
        fix = None
        if not children.static:
            message += f". Not fixed: the children list is built at runtime ({children.how})"
        elif shared:
            message += f". Not fixed: the options variable is used {shared} times"
        else:
            fix = make_fix(
                "Use strategy :rest_for_one",
                [Edit(atom.start_byte, atom.end_byte, ":rest_for_one") for atom in strategy],
                safe=False,
            )
        yield ctx.finding(strategy[0], message, fix)


# -- the supervisors of a file -------------------------------------------------------------


@dataclass
class _Analysis:
    #: (strategy atoms, children, shared) of every `:one_for_one` supervisor, in the order
    #: `check` reports them: Elixir forms, then Erlang forms.
    found: list[tuple[list[Node], Children, int]]
    #: (children expression, scope) of every supervisor whose children `check` could read,
    #: also after other rules' fixes (see `wanted`).
    children_exprs: list[tuple[Node, Scope]]


def _analysis(ctx: Context) -> _Analysis:
    """The supervisors of the file, computed once per parsed file (`wanted` and `check`
    both read it; the engine hands them the same Source object)."""
    source = ctx.source
    cached = source.__dict__.get("_otpfix_rest_for_one")
    if cached is None:
        cached = _analyse(ctx.data, ctx.root)
        source.__dict__["_otpfix_rest_for_one"] = cached
    return cached


def _analyse(data: bytes, root: Node) -> _Analysis:
    found: list[tuple[list[Node], Children, int]] = []
    exprs: list[tuple[Node, Scope]] = []
    scopes: dict[tuple[int, int], Scope] = {}

    def scope_of(defmodule: Node | None) -> Scope:
        key = (defmodule.start_byte, defmodule.end_byte) if defmodule is not None else (-1, -1)
        if key not in scopes:
            scopes[key] = Scope(defmodule)
        return scopes[key]

    for call in supervisor_calls(root):
        args = effective_args(call)
        if len(args) != 2 or _names_a_module(args[0]):
            continue  # Supervisor.start_link(Module, arg[, opts]): see the module's init/1
        scope = scope_of(module_of(call))
        exprs.append((args[0], scope))
        result = _elixir_form(call, scope)
        if result is not None:
            found.append(result)
    for defmodule in _one_for_one_modules(data, root):
        if in_quote(defmodule) or not _is_supervisor_module(defmodule):
            continue
        scope = scope_of(defmodule)
        for strategy, children_expr in _erlang_inits(defmodule):
            exprs.append((children_expr, scope))
            children = _children(children_expr, scope)
            if children is not None:
                found.append(([strategy], children, 0))
    return _Analysis(found, exprs)


def _names_a_module(node: Node) -> bool:
    return Scope(None).name(node) is not None or text_of(node) == "__MODULE__"


def _elixir_form(call: Node, scope: Scope):
    children_expr, opts = effective_args(call)
    opts = unwrap_block(opts)
    shared = 0
    if opts.type == "identifier":
        bound = local_binding(opts)
        if bound is None:
            return None
        opts, reads = unwrap_block(bound[0]), bound[1]
        shared = reads if reads > 1 else 0
    # Options chosen by a conditional (see mix-env-supervision): every branch must be a
    # literal list with strategy :one_for_one; the fix changes them all.
    values = branch_values(opts) if opts.type == "call" else [opts]
    if not values:
        return None
    strategy = []
    for value in values:
        atom = keyword_value(value, "strategy") if value.type in ("keywords", "list") else None
        if atom is None or atom.type != "atom" or text_of(atom) != ":one_for_one":
            return None
        strategy.append(atom)
    children = _children(children_expr, scope)
    if children is None:
        return None
    return strategy, children, shared


def _one_for_one_modules(data: bytes, root: Node) -> list[Node]:
    """The `defmodule` calls around a `:one_for_one` atom, in document order: the only
    modules whose `init/1` can return a `:one_for_one` strategy."""
    found: dict[int, Node] = {}
    base = root.start_byte
    i = data.find(b":one_for_one")
    while i != -1:
        start = i + base
        atom = root.named_descendant_for_byte_range(start, start + 12)
        i = data.find(b":one_for_one", i + 12)
        if atom is None or atom.type != "atom" or atom.start_byte != start or atom.end_byte != start + 12:
            continue
        node = atom.parent
        while node is not None:
            if node.type == "call" and node.start_byte not in found and call_name(node) == "defmodule":
                found[node.start_byte] = node
            node = node.parent
    return [found[start] for start in sorted(found)]


def _erlang_inits(defmodule: Node) -> Iterator[tuple[Node, Node]]:
    """(strategy atom, children expression) of each `def init(_)` of the module returning
    `{:ok, {flags, children}}` with a `:one_for_one` strategy in the flags."""
    for node in own_calls(defmodule):
        if node.type != "call" or call_name(node) != "def":
            continue
        head = def_head(node)
        if head is None or head[0] != "init" or len(def_params(node)) != 1:
            continue
        body = def_body(node)
        if body is None:
            continue
        last = block_expressions(body)[-1:] if body.type == "do_block" else [body]
        if not last:
            continue
        result = unwrap_block(last[0])
        if result.type != "tuple" or len(result.named_children) != 2:
            continue
        tag, spec = result.named_children
        if text_of(tag) != ":ok" or spec.type != "tuple" or len(spec.named_children) != 2:
            continue
        flags, children_expr = spec.named_children
        strategy = _erlang_strategy(flags)
        if strategy is None:
            continue
        yield strategy, children_expr


#: Conditionals another rule's fix may replace by one of their branches.
_CONDITIONALS = frozenset({"if", "unless", "case", "cond"})


def _potential_modules(expr: Node, scope: Scope, depth: int = 0) -> Iterator[str]:
    """Every module `_children(expr, scope)` can name as a child's, also once conditionals
    in it are replaced by one of their branches' expressions (mix-env-supervision's fix):
    the elements of the list (`[a | rest]` included), each side of `++`, what a variable
    is bound to, and every expression in a branch of `if`/`unless`/`case`/`cond` in
    these places, as a children list or as an element."""
    if depth > 3:
        return
    expr = unwrap_block(expr)
    kind = expr.type
    if kind == "list":
        for item in expr.named_children:
            if item.type == "binary_operator" and operator(item) == "|":
                item = item.child_by_field_name("left")
                if item is None:
                    continue
            yield from _potential_children(item, scope, depth)
    elif kind == "identifier":
        bound = local_binding(expr)
        if bound is not None:
            yield from _potential_modules(bound[0], scope, depth + 1)
    elif kind == "binary_operator" and operator(expr) == "++":
        for side in ("left", "right"):
            part = expr.child_by_field_name(side)
            if part is not None:
                yield from _potential_modules(part, scope, depth + 1)
    elif kind == "call" and call_name(expr) in _CONDITIONALS:
        for branch in _branch_expressions(expr):
            yield from _potential_modules(branch, scope, depth)


def _potential_children(item: Node, scope: Scope, depth: int) -> Iterator[str]:
    """The child module of a list element, or of what a conditional there may become."""
    item = unwrap_block(item)
    if item.type == "comment":
        return
    if item.type == "call" and call_name(item) in _CONDITIONALS:
        if depth <= 3:
            for branch in _branch_expressions(item):
                yield from _potential_children(branch, scope, depth + 1)
        return
    module = _child(item, scope).module
    if module is not None:
        yield module


def _branch_expressions(node: Node) -> Iterator[Node]:
    """Every expression of every branch of an `if`/`unless`/`case`/`cond` (block and
    `do:`/`else:` forms), a superset of the values the branches end with."""
    for child in node.named_children:
        if child.type == "do_block":
            for part in child.named_children:
                if part.type in ("else_block", "after_block", "rescue_block", "catch_block"):
                    yield from (c for c in part.named_children if c.type not in ("comment", "stab_clause"))
                    for clause in part.named_children:
                        if clause.type == "stab_clause":
                            yield from _clause_body(clause)
                elif part.type == "stab_clause":
                    yield from _clause_body(part)
                elif part.type != "comment":
                    yield part
        elif child.type == "arguments":
            for arg in child.named_children:
                if arg.type == "keywords":
                    for pair in arg.named_children:
                        value = pair.child_by_field_name("value")
                        if value is not None:
                            yield value


def _clause_body(clause: Node) -> Iterator[Node]:
    right = clause.child_by_field_name("right")
    if right is not None:
        yield from (c for c in right.named_children if c.type != "comment")


# -- children ------------------------------------------------------------------------------


def _children(expr: Node, scope: Scope, depth: int = 0) -> Children | None:
    """The children of a supervisor as written, or None when otpfix cannot tell."""
    expr = unwrap_block(expr)
    if depth > 3:
        return None
    if expr.type == "list":
        items = [c for c in expr.named_children if c.type != "comment"]
        if any(c.type == "keywords" for c in items):
            return None
        tail = [c for c in items if c.type == "binary_operator" and operator(c) == "|"]
        if tail:
            head = [_child(c, scope) for c in items if c.type != "binary_operator"]
            head.append(_child(tail[0].child_by_field_name("left"), scope))
            return Children(False, head, "[... | rest]")
        return Children(True, [_child(c, scope) for c in items])
    if expr.type == "identifier":
        bound = local_binding(expr)
        if bound is None:
            return None
        return _children(bound[0], scope, depth + 1)
    if expr.type == "binary_operator" and operator(expr) == "++":
        known: list[Child] = []
        for side in ("left", "right"):
            part = _children(expr.child_by_field_name(side), scope, depth + 1)
            if part is not None:
                known.extend(part.items)
        return Children(False, known, "`++`")
    if expr.type == "call":
        name = call_name(expr)
        if name == "for":
            return Children(False, [], "a comprehension")
        if name in ("if", "unless", "case", "cond", "with"):
            return None  # a conditional list: see mix-env-supervision
        return Children(False, [], f"a call to {name or 'a function'}")
    return None


def _child(node: Node | None, scope: Scope) -> Child:
    assert node is not None
    node = unwrap_block(node)
    module = None
    names: list[str] = []
    if node.type in ("alias", "dot"):
        module = scope.name(node)
    elif node.type == "tuple":
        items = node.named_children
        if len(items) == 2:
            module = scope.name(items[0]) if items[0].type in ("alias", "dot") else None
            arg = items[1]
            if arg.type in ("list", "keywords"):
                name = scope.name(keyword_value(arg, "name"))
                if name:
                    names.append(name)
        elif len(items) == 6 and items[1].type == "tuple" and items[1].named_children:
            module = scope.name(items[1].named_children[0])  # {id, {M, f, a}, ...}
    elif node.type == "map":
        start = _map_value(node, "start")
        if start is not None and start.type == "tuple" and start.named_children:
            module = scope.name(start.named_children[0])
    elif node.type == "call":
        name = call_name(node)
        args = call_args(node)
        if name == "Supervisor.child_spec" and args:
            inner = _child(args[0], scope)
            return Child(node, inner.module, inner.names)
        if name in ("worker", "supervisor", "Supervisor.Spec.worker", "Supervisor.Spec.supervisor") and args:
            module = scope.name(args[0])
        else:
            mc = module_call(node)
            if mc is not None and mc[1] == "child_spec":
                module = scope.name(mc[0])
    if module is not None and not module[:1].isupper():
        module = None  # an Erlang module: no Elixir source to read
    return Child(node, module, tuple(names))


def _map_value(node: Node, key: str) -> Node | None:
    for content in node.named_children:
        if content.type == "map_content":
            for kw in content.named_children:
                if kw.type == "keywords":
                    return keyword_value(kw, key)
    return None


def _erlang_strategy(flags: Node) -> Node | None:
    flags = unwrap_block(flags)
    if flags.type == "map":
        value = _map_value(flags, "strategy")
    elif flags.type == "tuple" and len(flags.named_children) == 3:
        value = flags.named_children[0]
    else:
        return None
    if value is not None and value.type == "atom" and text_of(value) == ":one_for_one":
        return value
    return None


def _is_supervisor_module(defmodule: Node) -> bool:
    for node in own_calls(defmodule):
        if node.type != "call":
            continue
        name = call_name(node)
        args = call_args(node)
        if name == "use" and args and text_of(args[0]) == "Supervisor":
            return True
        if name == "behaviour" and args and text_of(args[0]) in (":supervisor", "Supervisor"):
            return True
        if name == ":supervisor.start_link":
            return True
    return False


# -- evidence ------------------------------------------------------------------------------


#: Every node `_modules` may record: calls (uses, owns, aliases, `defmodule`, `quote`),
#: tuples (`:via`) and `@attribute`s, in document order.
_MODULE_NODES_QUERY = '[(call) (tuple) (unary_operator operator: "@")] @n'
#: The same without tuples, for a file without `:via` (its tuples are no facts).
_MODULE_CALLS_QUERY = OWN_CALLS_QUERY  # '[(call) (unary_operator operator: "@")] @n'
_SKIP = -2  # a subtree that belongs to no module (`quote`, an `@attribute` value, ...)


def _modules(root: Node, data: bytes) -> list[tuple[Scope, list[tuple[Node, Node | None]]]]:
    """Every module of a file (outside `quote`), with its scope and the calls and tuples
    that belong to it (not to a nested module, not inside `@attribute` values), in
    document order. Tuples only matter as `{:via, ...}`: without those bytes in the
    file, they are not gathered.

    One query gives the candidate nodes in document order (pre-order); which module a node
    belongs to follows from byte ranges: a stack of the open `defmodule` (and skipped)
    subtrees, closed when a node starts at or after their end."""
    out: list[tuple[Scope, list[tuple[Node, Node | None]]]] = []
    gathered: list[dict] = []
    # (end byte, index of the module in `gathered`, or _SKIP) of the open subtrees
    stack: list[tuple[int, int]] = []
    mod = -1
    end = -1  # end byte of the innermost open subtree
    query = _MODULE_NODES_QUERY if b":via" in data else _MODULE_CALLS_QUERY
    for _, captured in QueryCursor(compile_query(query)).matches(root):
        node = captured["n"][0]
        start = node.start_byte
        if start >= end and stack:
            while stack and stack[-1][0] <= start:
                stack.pop()
            end, mod = stack[-1] if stack else (-1, -1)
        if mod == _SKIP:
            continue
        kind = node.type
        if kind == "call":
            target = node.child_by_field_name("target")
            word = target.text if target is not None and target.type == "identifier" else None
            if word == b"quote":
                stack.append((node.end_byte, _SKIP))
                end, mod = node.end_byte, _SKIP
                continue
            if word == b"defmodule":
                args = call_args(node)
                if not args or args[0].type != "alias":
                    stack.append((node.end_byte, _SKIP))
                    end, mod = node.end_byte, _SKIP
                    continue
                parent = gathered[mod] if mod >= 0 else None
                name = text_of(args[0])
                if parent is not None:
                    name = None if parent["name"] is None else f"{parent['name']}.{name}"
                gathered.append(
                    {"name": name, "parent": mod, "aliases": [], "attributes": [], "nodes": []}
                )
                mod = len(gathered) - 1
                stack.append((node.end_byte, mod))
                end = node.end_byte
            elif mod >= 0:
                if word == b"alias":
                    gathered[mod]["aliases"].append(node)
                gathered[mod]["nodes"].append((node, target))
        elif kind == "tuple":
            if mod >= 0:
                gathered[mod]["nodes"].append((node, None))
        elif mod >= 0 and operator(node) == "@":
            gathered[mod]["attributes"].append(node)
            # @behaviour Foo, @impl true, @table :name: not uses
            stack.append((node.end_byte, _SKIP))
            end, mod = node.end_byte, _SKIP
    scopes: list[Scope] = []
    for info in gathered:  # parents come before their nested modules
        inherited = scopes[info["parent"]].aliases if info["parent"] >= 0 else {}
        scope = Scope.from_parts(info["name"], inherited, info["aliases"], info["attributes"])
        scopes.append(scope)
        out.append((scope, info["nodes"]))
    return out


def _module_facts(ctx: Context, nodes: list[tuple[Node, Node | None]], scope: Scope) -> dict[str, list]:
    """What one module owns and uses. `nodes`: (call, its target) and (tuple, None), in
    document order (see `_modules`). The call's name and `module_call` are read from the
    target once (as `call_name` and `module_call` would give them)."""
    owns: list[tuple[str, int]] = []
    uses: list[tuple[str, int, str]] = []
    line_of = ctx.source.line_of
    expanded: dict[bytes, str | None] = {}

    def name_of(node: Node | None) -> str | None:
        """`scope.name(node)`, with the expansion of an alias computed once per text."""
        if node is not None and node.type == "alias":
            text = node.text
            if text not in expanded:
                expanded[text] = scope.name(node)
            return expanded[text]
        return scope.name(node)

    for node, target in nodes:
        if target is None:  # a tuple
            if node.named_child_count != 3:
                continue
            items = node.named_children
            if len(items) == 3 and text_of(items[0]) == ":via":
                for candidate in (items[1], items[2].named_children[0] if items[2].type == "tuple" and items[2].named_children else None):
                    name = name_of(candidate)
                    if name:
                        uses.append((name, line_of(node.start_byte) + 1, f"a :via tuple names {name}"))
            continue
        # call_name(node) (as bytes), and the alias (or `__MODULE__`) of module_call(node)
        called = None
        kind = target.type
        if kind == "identifier":
            name = target.text
            if name in _DIRECTIVES:
                continue
        elif kind == "dot":
            left = target.child_by_field_name("left")
            if left is None:
                continue
            right = target.child_by_field_name("right")
            left_kind = left.type
            if right is None:
                name = left.text + b"."
            elif left_kind == "alias" or left_kind == "atom" or left_kind == "identifier":
                name = left.text + b"." + right.text
                if right.type == "identifier" and (
                    left_kind == "alias" or (left_kind == "identifier" and left.text == b"__MODULE__")
                ):
                    called = left
            else:
                continue
        else:
            continue
        # call_args(node): the arguments node follows the target. Its first and last
        # arguments are enough, unless a comment is there (or all are needed, below).
        arguments = node.named_child(1) if node.named_child_count > 1 else None
        if arguments is None or arguments.type != "arguments":
            arguments = arguments_node(node)
        count = arguments.named_child_count if arguments is not None else 0
        first = last = None
        if count:
            first = arguments.named_child(0)
            last = arguments.named_child(count - 1) if count > 1 else first
            if first.type == "comment" or last.type == "comment":
                args = [c for c in arguments.named_children if c.type != "comment"]
                first, last = (args[0], args[-1]) if args else (None, None)
        function = name.rsplit(b".", 1)[-1]
        if name == b":ets.new" or name == b"Keyword.put" or name == b"Keyword.put_new":
            args = [c for c in arguments.named_children if c.type != "comment"] if count else []
        if name == b":ets.new":
            if len(args) == 2 and args[1].type == "list" and any(
                text_of(c) == ":named_table" for c in args[1].named_children
            ):
                table = name_of(args[0])
                if table:
                    owns.append((table, line_of(node.start_byte) + 1))
            continue
        if function in _START_FUNCTIONS and last is not None and last.type in ("keywords", "list"):
            registered = name_of(keyword_value(last, "name"))
            if registered:
                owns.append((registered, line_of(node.start_byte) + 1))
        if (name == b"Keyword.put" or name == b"Keyword.put_new") and len(args) == 3 and text_of(args[1]) == ":name":
            registered = name_of(args[2])
            if registered:
                owns.append((registered, line_of(node.start_byte) + 1))
        if function in _NOT_A_USE:
            continue
        if called is not None:
            used = name_of(called)
            if used:
                uses.append((used, line_of(node.start_byte) + 1, f"calls {used}.{function.decode()}"))
        if first is not None and first.type in _NAMEABLE:
            named = name_of(first)
            if named:
                uses.append((named, line_of(node.start_byte) + 1, f"{name.decode()}({named}, ...)"))
    return {"path": ctx.path, "owns": owns, "uses": uses}


def _module_index(project) -> dict[str, dict]:
    """{module: facts} over every scanned file; a module defined twice is left out."""
    index: dict[str, dict] = {}
    twice: set[str] = set()
    for path in sorted(project):
        facts = project[path] or {}
        for module, info in facts.get("modules", {}).items():
            if module in index:
                twice.add(module)
            index[module] = info
    for module in twice:
        del index[module]
    return index


def _owned(child: Child, index) -> set[str]:
    owned = set(child.names)
    if child.module in index:
        owned.add(child.module)
        owned.update(name for name, _line in index[child.module]["owns"])
    return owned


def _evidence(children: list[Child], index):
    for j, later in enumerate(children):
        if later.module not in index:
            continue
        info = index[later.module]
        mine = _owned(later, index)
        for i in range(j):
            earlier = children[i]
            if earlier.module is not None and earlier.module == later.module:
                continue
            theirs = _owned(earlier, index) - mine
            for name, line, how in info["uses"]:
                if name in theirs:
                    return j, later, i, earlier, (name, info["path"], line, how)
    return None
