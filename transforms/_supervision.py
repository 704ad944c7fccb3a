"""Helpers shared by the supervision rules (rest-for-one, mix-env-supervision).

Not a rule module (the leading underscore keeps the registry away). Everything here is
structural and gives up (returns None) when the shape is not one it knows.
"""

from __future__ import annotations

from tree_sitter import Node, QueryCursor

from otpfix.syntax import (
    call_args,
    call_name,
    compile_query,
    def_body,
    def_params,
    enclosing,
    enclosing_def,
    identifiers_in,
    operator,
    text_of,
    walk,
)

#: Calls whose arguments are a supervisor's children and options.
SUPERVISOR_CALLS = frozenset({"Supervisor.start_link", "Supervisor.init"})


def in_quote(node: Node) -> bool:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "quote") is not None


def supervisor_calls(root: Node) -> list[Node]:
    """`Supervisor.start_link/2,3` and `Supervisor.init/2` calls outside `quote`, in
    document order.

    Such a call's target is `Supervisor.<name>`, so it starts at an alias whose bytes are
    exactly `Supervisor`: the calls are found from those bytes, without a walk."""
    out = []
    data = root.text or b""
    base = root.start_byte
    find = data.find
    i = find(b"Supervisor")
    while i != -1:
        start = base + i
        alias = root.named_descendant_for_byte_range(start, start + 10)
        i = find(b"Supervisor", i + 10)
        if alias is None or alias.type != "alias" or alias.start_byte != start or alias.end_byte != start + 10:
            continue
        dot = alias.parent
        call = dot.parent if dot is not None and dot.type == "dot" else None
        if call is None or call.type != "call" or call.start_byte != start:
            continue
        if call_name(call) in SUPERVISOR_CALLS and not in_quote(call):
            out.append(call)
    return out


def unwrap_block(node: Node) -> Node:
    """`(expr)` parses as a block with one expression: return the expression."""
    while node.type == "block":
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) != 1:
            return node
        node = inner[0]
    return node


def _binds(pattern: Node | None, name: str) -> bool:
    return pattern is not None and name in identifiers_in(pattern)


def is_variable(node: Node, name: str) -> bool:
    """An identifier that names a variable (not `fun` in `Mod.fun` or a local call's name)."""
    if node.type != "identifier" or text_of(node) != name:
        return False
    parent = node.parent
    if parent is None:
        return True
    if parent.type == "dot" and parent.child_by_field_name("right") == node:
        return False
    if parent.type == "call" and parent.child_by_field_name("target") == node:
        return False
    return True


def _in_cond(clause: Node) -> bool:
    """A `cond` clause's left side is a condition, not a pattern: it binds nothing."""
    block = clause.parent
    owner = block.parent if block is not None else None
    return owner is not None and owner.type == "call" and call_name(owner) == "cond"


def local_binding(use: Node) -> tuple[Node, int] | None:
    """For an identifier read inside a def: (the right side of its binding, number of reads).

    Only when the def binds the name exactly once, as `name = expr` written as a top-level
    expression of the def's body before `use`, and nothing else (parameter, `<-`, `->`
    pattern, another `=`) binds the same name in that def. Otherwise None.
    """
    if use.type != "identifier":
        return None
    name = text_of(use)
    clause = enclosing_def(use)
    if clause is None:
        return None
    body = def_body(clause)
    if body is None or body.type != "do_block":
        return None
    for param in def_params(clause):
        if _binds(param, name):
            return None
    binding = None
    reads = 0
    for node in walk(clause):
        if node.type == "binary_operator" and operator(node) in ("=", "<-"):
            if _binds(node.child_by_field_name("left"), name):
                if binding is not None or operator(node) != "=":
                    return None
                binding = node
        elif node.type == "stab_clause" and not _in_cond(node):
            if _binds(node.child_by_field_name("left"), name):
                return None
        elif is_variable(node, name):
            reads += 1
    if binding is None or binding.parent != body:
        return None
    left = binding.child_by_field_name("left")
    right = binding.child_by_field_name("right")
    if left is None or right is None or left.type != "identifier" or binding.end_byte > use.start_byte:
        return None
    return right, reads - 1  # the binding's own left side is not a read


# -- modules and names ---------------------------------------------------------------------


def module_of(node: Node) -> Node | None:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "defmodule")


def module_full_name(defmodule: Node) -> str | None:
    """The module's name, nested modules included (`defmodule A do defmodule B` -> A.B)."""
    args = call_args(defmodule)
    if not args or args[0].type != "alias":
        return None
    name = text_of(args[0])
    outer = module_of(defmodule)
    if outer is not None:
        outer_name = module_full_name(outer)
        if outer_name is None:
            return None
        name = f"{outer_name}.{name}"
    return name


def own_nodes(defmodule: Node):
    """Nodes of a defmodule, without the subtrees of modules nested in it."""
    stack = list(reversed(defmodule.named_children))
    while stack:
        n = stack.pop()
        yield n
        if n.type == "call" and call_name(n) == "defmodule":
            continue
        stack.extend(reversed(n.named_children))


#: Calls and `@` operators (rest-for-one's collect runs the same query text: compiled once
#: per process, `compile_query` being cached by text; a compilation costs milliseconds).
OWN_CALLS_QUERY = '[(call) (unary_operator operator: "@")] @n'


def own_calls(defmodule: Node) -> list[Node]:
    """The `call` nodes and `@` operators of `own_nodes(defmodule)`, in the same order,
    found by one query instead of a walk in Python (in a tree with syntax errors: every
    `call` and `unary_operator` node of the walk; callers test what they read).

    The query gives such nodes under `defmodule` (itself included, left out here);
    sorted by (start, -end) they are in pre-order (two of them never have the same range:
    an operator spans its operator token and operand, a call its target and more; the
    running index keeps the query's order on a tie anyway). A nested `defmodule` call is
    kept, the nodes that start inside it (its descendants) are not, as `own_nodes` does. A
    tree with syntax errors (zero-width nodes) is walked as before."""
    if defmodule.has_error:
        return [n for n in own_nodes(defmodule) if n.type == "call" or n.type == "unary_operator"]
    found = QueryCursor(compile_query(OWN_CALLS_QUERY)).captures(defmodule).get("n", [])
    items = sorted((n.start_byte, -n.end_byte, i, n) for i, n in enumerate(found))
    out = []
    skip_end = -1  # end of the nested module being left out
    for start, end, _, n in items:
        if start < skip_end or n == defmodule:
            continue
        out.append(n)
        if n.type == "call" and call_name(n) == "defmodule":
            skip_end = -end
    return out


class Scope:
    """Name resolution inside one module: aliases, `__MODULE__`, literal attributes."""

    def __init__(self, defmodule: Node | None) -> None:
        self.module = module_full_name(defmodule) if defmodule is not None else None
        self.aliases: dict[str, str] = {}
        self.attributes: dict[str, Node | None] = {}
        chain = []
        m = defmodule
        while m is not None:
            chain.append(m)
            m = module_of(m)
        for mod in reversed(chain):  # outer modules first, inner ones override
            inner_scope_module = module_full_name(mod)
            for node in own_calls(mod):  # (of own_nodes, only these are read)
                if node.type == "call":
                    target = node.child_by_field_name("target")
                    if target is not None and target.type == "identifier" and target.text == b"alias":
                        self._alias(node, inner_scope_module)
                elif mod is defmodule and node.type == "unary_operator" and operator(node) == "@":
                    self._attribute(node)

    @classmethod
    def from_parts(
        cls,
        module: str | None,
        inherited: dict[str, str],
        alias_calls: list[Node],
        attributes: list[Node],
    ) -> "Scope":
        """A scope from nodes gathered in one walk (see rest-for-one's collect)."""
        scope = cls(None)
        scope.module = module
        scope.aliases = dict(inherited)
        for node in alias_calls:
            scope._alias(node, module)
        for node in attributes:
            scope._attribute(node)
        return scope

    def _attribute(self, node: Node) -> None:
        operand = node.child_by_field_name("operand")
        if operand is not None and operand.type == "call":
            target = operand.child_by_field_name("target")
            args = call_args(operand)
            if target is not None and target.type == "identifier" and len(args) == 1:
                attr = text_of(target)
                # an attribute set twice has no single value
                self.attributes[attr] = None if attr in self.attributes else args[0]

    def _alias(self, node: Node, module: str | None) -> None:
        args = call_args(node)
        if not args:
            return
        target = args[0]
        as_name = None
        if len(args) > 1 and args[1].type == "keywords":
            for pair in args[1].named_children:
                key = pair.child_by_field_name("key")
                value = pair.child_by_field_name("value")
                if key is not None and text_of(key).strip().rstrip(":") == "as" and value is not None:
                    as_name = text_of(value)
        if target.type == "dot" and target.child_by_field_name("right") is not None and \
                target.child_by_field_name("right").type == "tuple":
            base = self._expand(text_of(target.child_by_field_name("left")), module)
            if base is None:
                return
            for item in target.child_by_field_name("right").named_children:
                if item.type == "alias":
                    full = f"{base}.{text_of(item)}"
                    self.aliases[full.rsplit(".", 1)[-1]] = full
            return
        full = self._expand(text_of(target), module)
        if full is None or not full[:1].isupper():
            return
        self.aliases[as_name or full.rsplit(".", 1)[-1]] = full

    def _expand(self, text: str, module: str | None) -> str | None:
        if text == "__MODULE__":
            return module
        if text.startswith("__MODULE__."):
            return None if module is None else module + text[len("__MODULE__"):]
        head = text.split(".", 1)[0]
        if head in self.aliases:
            return self.aliases[head] + text[len(head):]
        return text

    def name(self, node: Node | None, depth: int = 0) -> str | None:
        """A process/table/module name written literally: "Mod.Name" or ":atom"."""
        if node is None or depth > 3:
            return None
        node = unwrap_block(node)
        if node.type == "alias":
            return self._expand(text_of(node), self.module)
        if node.type == "atom":
            text = text_of(node)
            if text in (":ok", ":error", "nil", ":undefined", "true", "false"):
                return None
            return text if text.startswith(":") and not text.startswith(':"') else None
        if node.type == "identifier" and text_of(node) == "__MODULE__":
            return self.module
        if node.type == "dot":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and right.type == "alias" and text_of(left) == "__MODULE__":
                return None if self.module is None else f"{self.module}.{text_of(right)}"
            return None
        if node.type == "unary_operator" and operator(node) == "@":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                value = self.attributes.get(text_of(operand))
                if value is not None:
                    return self.name(value, depth + 1)
        return None


def module_call(node: Node) -> tuple[Node, str] | None:
    """For `Alias.fun(...)`: (the alias node, "fun")."""
    target = node.child_by_field_name("target")
    if target is None or target.type != "dot":
        return None
    left = target.child_by_field_name("left")
    right = target.child_by_field_name("right")
    if left is None or right is None or right.type != "identifier":
        return None
    if left.type == "alias" or (left.type == "dot" and text_of(left).startswith("__MODULE__.")):
        return left, text_of(right)
    if left.type == "identifier" and text_of(left) == "__MODULE__":
        return left, text_of(right)
    return None


def branch_values(node: Node) -> list[Node] | None:
    """For `if`/`unless` (with both branches), `case` and `cond`: the value each branch
    ends with. None when the node is not such a conditional or a branch is missing/empty."""
    if node.type != "call":
        return None
    name = call_name(node)
    block = next((c for c in node.named_children if c.type == "do_block"), None)
    branches: list[list[Node]] = []
    if name in ("if", "unless"):
        args = call_args(node)
        if block is not None:
            then: list[Node] = []
            other = None
            for child in block.named_children:
                if child.type == "else_block":
                    other = list(child.named_children)
                elif child.type in ("rescue_block", "catch_block", "after_block"):
                    return None
                else:
                    then.append(child)
            if other is None:
                return None
            branches = [then, other]
        elif len(args) == 2 and args[1].type == "keywords":
            from otpfix.syntax import keyword_value

            do, other = keyword_value(args[1], "do"), keyword_value(args[1], "else")
            if do is None or other is None:
                return None
            branches = [[do], [other]]
        else:
            return None
    elif name in ("case", "cond") and block is not None:
        for clause in block.named_children:
            if clause.type == "comment":
                continue
            if clause.type != "stab_clause":
                return None
            right = clause.child_by_field_name("right")
            branches.append(list(right.named_children) if right is not None else [])
    else:
        return None
    values = []
    for branch in branches:
        exprs = [n for n in branch if n.type != "comment"]
        if not exprs:
            return None
        values.append(unwrap_block(exprs[-1]))
    return values or None
