"""rest-for-one: a `:one_for_one` supervisor whose later children depend on earlier ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from tree_sitter import Node

from otpfix.syntax import (
    effective_args,
    block_expressions,
    call_args,
    call_name,
    def_body,
    def_head,
    def_params,
    keyword_value,
    operator,
    text_of,
    walk,
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
    own_nodes,
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
    # No needles: `collect` must see every file (child modules never mention the strategy).

    # -- project facts -----------------------------------------------------------------
    def collect(self, ctx: Context) -> Any:
        if b"defmodule" not in ctx.data:
            return None
        modules: dict[str, dict[str, list]] = {}
        for scope, nodes in _modules(ctx.root):
            if scope.module is not None:
                modules[scope.module] = _module_facts(ctx, nodes, scope)
        return {"modules": modules} if modules else None

    # -- check -------------------------------------------------------------------------
    def check(self, ctx: Context) -> Iterator[Finding]:
        if b"one_for_one" not in ctx.data:
            return
        index = _module_index(ctx.project)
        for call in supervisor_calls(ctx.root):
            found = self._elixir_form(ctx, call)
            if found is not None:
                yield from self._report(ctx, *found, index)
        for node in walk(ctx.root):
            if node.type == "call" and call_name(node) == "defmodule" and not in_quote(node):
                if _is_supervisor_module(node):
                    for found in self._erlang_form(ctx, node):
                        yield from self._report(ctx, *found, index)

    def _elixir_form(self, ctx: Context, call: Node):
        args = effective_args(call)
        if len(args) != 2:
            return None  # Supervisor.start_link(Module, arg, opts): see the module's init/1
        children_expr, opts = args
        if Scope(None).name(children_expr) is not None or text_of(children_expr) == "__MODULE__":
            return None  # Supervisor.start_link(Module, arg)
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
        scope = Scope(module_of(call))
        children = _children(children_expr, scope)
        if children is None:
            return None
        return strategy, children, shared

    def _erlang_form(self, ctx: Context, defmodule: Node):
        scope = Scope(defmodule)
        for node in own_nodes(defmodule):
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
            children = _children(children_expr, scope)
            if children is None:
                continue
            yield [strategy], children, 0

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
    for node in own_nodes(defmodule):
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


def _modules(root: Node) -> list[tuple[Scope, list[Node]]]:
    """Every module of a file (outside `quote`), with its scope and the calls and tuples
    that belong to it (not to a nested module, not inside `@attribute` values), in one
    walk of the tree."""
    out: list[tuple[Scope, list[Node]]] = []
    # (node, index of the enclosing module in `gathered`, or -1)
    gathered: list[dict] = []
    stack: list[tuple[Node, int]] = [(root, -1)]
    while stack:
        node, mod = stack.pop()
        kind = node.type
        if kind == "call":
            target = node.child_by_field_name("target")
            word = target.text if target is not None and target.type == "identifier" else None
            if word == b"quote":
                continue
            if word == b"defmodule":
                args = call_args(node)
                if not args or args[0].type != "alias":
                    continue
                parent = gathered[mod] if mod >= 0 else None
                name = text_of(args[0])
                if parent is not None:
                    name = None if parent["name"] is None else f"{parent['name']}.{name}"
                gathered.append(
                    {"name": name, "parent": mod, "aliases": [], "attributes": [], "nodes": []}
                )
                mod = len(gathered) - 1
            elif mod >= 0:
                if word == b"alias":
                    gathered[mod]["aliases"].append(node)
                gathered[mod]["nodes"].append(node)
        elif kind == "unary_operator" and mod >= 0 and operator(node) == "@":
            gathered[mod]["attributes"].append(node)
            continue  # @behaviour Foo, @impl true, @table :name: not uses
        elif kind == "tuple" and mod >= 0:
            gathered[mod]["nodes"].append(node)
        stack.extend((child, mod) for child in reversed(node.named_children))
    scopes: list[Scope] = []
    for info in gathered:  # parents come before their nested modules
        inherited = scopes[info["parent"]].aliases if info["parent"] >= 0 else {}
        scope = Scope.from_parts(info["name"], inherited, info["aliases"], info["attributes"])
        scopes.append(scope)
        out.append((scope, info["nodes"]))
    return out


def _module_facts(ctx: Context, nodes: list[Node], scope: Scope) -> dict[str, list]:
    owns: list[tuple[str, int]] = []
    uses: list[tuple[str, int, str]] = []

    def line(node: Node) -> int:
        return ctx.source.line_of(node.start_byte) + 1

    for node in nodes:
        if node.type == "tuple":
            items = node.named_children
            if len(items) == 3 and text_of(items[0]) == ":via":
                for candidate in (items[1], items[2].named_children[0] if items[2].type == "tuple" and items[2].named_children else None):
                    name = scope.name(candidate)
                    if name:
                        uses.append((name, line(node), f"a :via tuple names {name}"))
            continue
        name = call_name(node)
        if name is None or name in DIRECTIVES:
            continue
        args = call_args(node)
        function = name.rsplit(".", 1)[-1]
        if name == ":ets.new":
            if len(args) == 2 and args[1].type == "list" and any(
                text_of(c) == ":named_table" for c in args[1].named_children
            ):
                table = scope.name(args[0])
                if table:
                    owns.append((table, line(node)))
            continue
        if function in START_FUNCTIONS and args and args[-1].type in ("keywords", "list"):
            registered = scope.name(keyword_value(args[-1], "name"))
            if registered:
                owns.append((registered, line(node)))
        if name in ("Keyword.put", "Keyword.put_new") and len(args) == 3 and text_of(args[1]) == ":name":
            registered = scope.name(args[2])
            if registered:
                owns.append((registered, line(node)))
        mc = module_call(node)
        if mc is not None and mc[1] not in NOT_A_USE:
            target = scope.name(mc[0])
            if target:
                uses.append((target, line(node), f"calls {target}.{mc[1]}"))
        if args and function not in NOT_A_USE:
            first = scope.name(args[0])
            if first:
                uses.append((first, line(node), f"{name}({first}, ...)"))
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
