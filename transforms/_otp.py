"""Small structural helpers shared by the OTP rules (monitors, callbacks, sends, spawns, ...).

Private module (leading underscore): the registry does not load rules from it. Everything
here is iterative (no Python recursion over the tree) and gives up (returns None / False)
on shapes it does not know.
"""

from __future__ import annotations

from typing import Container, Iterator

from tree_sitter import Node

from otpfix.syntax import (
    arguments_node,
    is_piped_into,
    DEF_KEYWORDS,
    call_args,
    call_name,
    def_body,
    def_clause_head,
    def_head,
    def_params,
    do_block,
    enclosing,
    operator,
    text_of,
    walk,
)

# Containers whose named children are a sequence of expressions (statements).
_SEQUENCES = ("do_block", "body", "else_block", "after_block", "rescue_block", "catch_block", "block")
# Calls whose do-block / `do:` value is the value of the call itself.
_VALUE_BLOCKS = frozenset({"if", "unless", "try", "for", "with"})
# Calls whose stab clauses' last expressions are the value of the call.
_CLAUSE_BLOCKS = frozenset({"case", "cond", "receive", "try", "with"})
# Calls that evaluate a function argument for its side effects only.
_DISCARDING_CALLS = frozenset({"Enum.each", "Stream.each"})


def in_quote(node: Node) -> bool:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "quote") is not None


def statements(container: Node) -> list[Node]:
    """The expressions of a statement sequence (do_block body, stab body, else block, ...)."""
    out = []
    for child in container.named_children:
        if child.type in ("comment", "do", "else", "after", "rescue", "catch", "end"):
            continue
        if child.type in ("rescue_block", "catch_block", "else_block", "after_block", "stab_clause"):
            if container.type == "do_block":
                break
            continue
        out.append(child)
    return out


def pipe_value_node(node: Node) -> Node:
    """The outermost node whose value is `node`'s value through `x |> node` pipes."""
    n = node
    while (
        n.parent is not None
        and n.parent.type == "binary_operator"
        and operator(n.parent) == "|>"
        and n.parent.child_by_field_name("right") == n
    ):
        n = n.parent
    return n


def value_discarded(node: Node) -> bool:
    """True when the value of `node` is certainly thrown away: it is a statement that is not
    the last of its sequence (also through if/case/for/... and `fn` bodies given to
    `Enum.each`). False whenever unsure (bound, returned, passed on, unknown shape)."""
    n = pipe_value_node(node)
    while True:
        p = n.parent
        if p is None:
            return False
        if p.type == "block":  # ( a; b )
            exprs = statements(p)
            if not exprs or n != exprs[-1]:
                return True
            n = p
            continue
        if p.type in ("do_block", "body", "else_block", "after_block", "rescue_block", "catch_block"):
            exprs = statements(p)
            if not exprs or all(e != n for e in exprs):
                return False
            if n != exprs[-1]:
                return True
            owner = _sequence_owner(p)
            if owner is None:
                return False
            if owner.type == "anonymous_function":
                return _fn_discarded(owner)
            name = call_name(owner)
            if name in _VALUE_BLOCKS or name in _CLAUSE_BLOCKS:
                n = pipe_value_node(owner)
                continue
            return False
        if p.type == "pair":
            # `if c, do: x` / `for x <- xs, do: f(x)`
            key = p.child_by_field_name("key")
            if key is None or text_of(key).strip() not in ("do:", "else:"):
                return False
            kws = p.parent
            args = kws.parent if kws is not None else None
            call = args.parent if args is not None and args.type == "arguments" else None
            if call is None or call_name(call) not in _VALUE_BLOCKS:
                return False
            n = pipe_value_node(call)
            continue
        return False


def _sequence_owner(container: Node) -> Node | None:
    """The call (if/case/def/...) or anonymous function a statement sequence belongs to."""
    p = container
    if p.type == "body":
        clause = p.parent
        if clause is None or clause.type != "stab_clause":
            return None
        p = clause.parent
        if p is None:
            return None
        if p.type == "anonymous_function":
            return p
        if p.type in ("else_block", "after_block", "rescue_block", "catch_block"):
            p = p.parent
    elif p.type in ("else_block", "after_block", "rescue_block", "catch_block"):
        p = p.parent
    if p is None or p.type != "do_block":
        return None
    return p.parent if p.parent is not None and p.parent.type == "call" else None


def _fn_discarded(fn: Node) -> bool:
    args = fn.parent
    if args is None or args.type != "arguments":
        return False
    call = args.parent
    return call is not None and call_name(call) in _DISCARDING_CALLS


# -- modules and functions ---------------------------------------------------------------


def modules(root: Node) -> list[Node]:
    """Every `defmodule` call outside `quote`, in source order."""
    return [
        n
        for n in walk(root)
        if n.type == "call" and call_name(n) == "defmodule" and not in_quote(n)
    ]


def module_body(module: Node) -> list[Node]:
    block = do_block(module)
    return statements(block) if block is not None else []


def module_defs(module: Node) -> list[Node]:
    """The def/defp clauses directly in a module's body (not in nested modules)."""
    return [n for n in module_body(module) if n.type == "call" and call_name(n) in ("def", "defp")]


def innermost_module(node: Node) -> Node | None:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "defmodule")


def def_arity_range(clause: Node) -> tuple[int, int] | None:
    info = def_head(clause)
    if info is None:
        return None
    params = def_params(clause)
    defaults = sum(1 for p in params if p.type == "binary_operator" and operator(p) == "\\\\")
    return len(params) - defaults, len(params)


def down_tuple(pattern: Node) -> Node | None:
    """The `{:DOWN, ref, _, _, _}` tuple of a pattern, through `=` bindings."""
    stack = [pattern]
    while stack:
        p = stack.pop()
        if p is None:
            continue
        if p.type == "binary_operator" and operator(p) == "=":
            stack.append(p.child_by_field_name("right"))
            stack.append(p.child_by_field_name("left"))
            continue
        if p.type != "tuple":
            continue
        items = p.named_children
        if len(items) == 5 and items[0].type == "atom" and text_of(items[0]) == ":DOWN":
            return p
    return None


def is_down_clause(clause: Node) -> bool:
    """A `handle_info/2` clause whose message pattern is a monitor :DOWN tuple."""
    info = def_head(clause)
    if info is None or info[0] != "handle_info":
        return False
    params = def_params(clause)
    return len(params) == 2 and down_tuple(params[0]) is not None


def uses_behaviour(module: Node, names: frozenset[str]) -> bool:
    """`use X` or `@behaviour X` in the module's own body, for X in `names`."""
    for stmt in module_body(module):
        if stmt.type == "call" and call_name(stmt) == "use":
            args = call_args(stmt)
            if args and text_of(args[0]) in names:
                return True
        if stmt.type == "unary_operator" and operator(stmt) == "@":
            inner = stmt.named_children[-1] if stmt.named_children else None
            if inner is not None and inner.type == "call" and call_name(inner) == "behaviour":
                args = call_args(inner)
                if args and text_of(args[0]) in names:
                    return True
    return False


def module_attributes(module: Node) -> dict[str, Node]:
    """`@name value` definitions in a module body (the last one wins)."""
    out: dict[str, Node] = {}
    for stmt in module_body(module):
        if stmt.type != "unary_operator" or operator(stmt) != "@":
            continue
        inner = stmt.named_children[-1] if stmt.named_children else None
        if inner is None or inner.type != "call":
            continue
        name = call_name(inner)
        args = call_args(inner)
        if name and len(args) == 1:
            out[name] = args[0]
    return out


def local_calls(body: Node, skip=None) -> Iterator[tuple[Node, str, int]]:
    """(node, name, arity) of local calls `f(...)`, `x |> f(...)` and captures `&f/n` under
    `body`. `skip(node)` -> True prunes a subtree."""
    stack = [body]
    while stack:
        n = stack.pop()
        if skip is not None and skip(n):
            continue
        site = local_call_site(n)
        if site is not None:
            yield n, site[0], site[1]
        stack.extend(reversed(n.children))


def local_call_site(n: Node, names: Container[str] | None = None) -> tuple[str, int] | None:
    """(name, arity) when `n` is a local call `f(...)` (`x |> f(...)` counts the piped
    argument) or a capture `&f/n`; with `names`, only calls of those names. A capture's
    arity is read before its name is tested (`&f/0x1` raises ValueError either way)."""
    if n.type == "call":
        target = n.child_by_field_name("target")
        if target is None or target.type != "identifier":
            return None
        name = text_of(target)
        if names is not None and name not in names:
            return None
        args = arguments_node(n)
        if args is None:
            return None
        # `len(call_args(n))`, from the arguments node just found
        count = sum(1 for c in args.named_children if c.type != "comment")
        return name, count + (1 if is_piped_into(n) else 0)
    if n.type == "unary_operator" and operator(n) == "&":
        inner = n.named_children[-1] if n.named_children else None
        if inner is not None and inner.type == "binary_operator" and operator(inner) == "/":
            left = inner.child_by_field_name("left")
            right = inner.child_by_field_name("right")
            if left is not None and left.type == "identifier" and right is not None and right.type == "integer":
                arity = int(text_of(right).replace("_", ""))
                if names is None or text_of(left) in names:
                    return text_of(left), arity
    return None


def clause_body(clause: Node) -> Node | None:
    return def_body(clause)


def is_def(node: Node) -> bool:
    return node.type == "call" and call_name(node) in DEF_KEYWORDS


class ModuleGraph:
    """The def/defp clauses of one module and its local call graph (name/arity edges).

    `skip(node)` prunes subtrees when collecting calls (for example `fn` bodies handed to
    another process)."""

    def __init__(self, module: Node, skip=None) -> None:
        self.module = module
        self.skip = skip
        self.clauses = module_defs(module)
        self._by_name: dict[str, list[tuple[int, int, Node]]] = {}
        #: {clause id: (its `def_head`, its `def_params`)}, read once here.
        self.heads: dict[int, tuple[tuple | None, list[Node]]] = {}
        for clause in self.clauses:
            # A def/defp (`module_defs`): `def_clause_head` is its `def_head`, and
            # `def_arity_range` is computed from the same head and parameters.
            info = def_clause_head(clause)
            params = call_args(info[1]) if info is not None and info[1] is not None and info[1].type == "call" else []
            self.heads[clause.id] = (info, params)
            if info is None:
                continue
            defaults = sum(1 for p in params if p.type == "binary_operator" and operator(p) == "\\\\")
            self._by_name.setdefault(info[0], []).append((len(params) - defaults, len(params), clause))
        self._calls: dict[int, list[tuple[Node, str, int, list[Node]]]] = {}

    def defines(self, name: str) -> bool:
        return name in self._by_name

    def resolve(self, name: str, arity: int) -> list[Node]:
        return [c for lo, hi, c in self._by_name.get(name, ()) if lo <= arity <= hi]

    def calls(self, clause: Node) -> list[tuple[Node, str, int, list[Node]]]:
        """Local calls made by a clause: (call node, name, arity, callee clauses)."""
        key = clause.id
        if key not in self._calls:
            body = def_body(clause)
            out = []
            if body is not None:
                for node, name, arity in self._local_calls(body):
                    targets = self.resolve(name, arity)
                    if targets:
                        out.append((node, name, arity, targets))
            self._calls[key] = out
        return self._calls[key]

    def _local_calls(self, body: Node) -> Iterator[tuple[Node, str, int]]:
        """The local calls of a clause body (subclasses may find them faster)."""
        return local_calls(body, self.skip)

    def reachable(self, start: Node) -> list[Node]:
        """Clauses reachable from `start` (included) through local calls; cycles are fine."""
        seen = {start.id}
        order = [start]
        queue = [start]
        while queue:
            clause = queue.pop()
            for _node, _name, _arity, targets in self.calls(clause):
                for t in targets:
                    if t.id not in seen:
                        seen.add(t.id)
                        order.append(t)
                        queue.append(t)
        return order

    def callers(self) -> dict[int, list[Node]]:
        """clause id -> the clauses that call it."""
        out: dict[int, list[Node]] = {}
        for clause in self.clauses:
            for _node, _name, _arity, targets in self.calls(clause):
                for t in targets:
                    out.setdefault(t.id, []).append(clause)
        return out


# -- helpers of the detector rules (raw-send, telemetry-control-flow, raw-spawn, ...) --

#: Calls that start a monitor (a function that uses one knows when the target dies).
MONITOR_CALLS = frozenset({"Process.monitor", ":erlang.monitor", "spawn_monitor", "Kernel.spawn_monitor"})

#: Definitions of other modules: their bodies are not part of the enclosing module.
MODULE_KEYWORDS = frozenset({"defmodule", "defimpl", "defprotocol"})

#: Local "calls" that are really syntax: never a call to a private function.
SPECIAL_FORMS = frozenset(
    "def defp defmacro defmacrop defmodule defimpl defprotocol defstruct defdelegate "
    "defguard defguardp defexception defoverridable if unless case cond with for try "
    "receive quote unquote unquote_splicing fn import alias require use super raise "
    "reraise throw send spawn spawn_link self".split()
)


def is_self_call(node: Node) -> bool:
    """`self()` or `Kernel.self()`."""
    return node.type == "call" and call_name(node) in ("self", "Kernel.self") and not call_args(node)


def fn_scope(node: Node, stop: Node | None = None) -> Node | None:
    """The nearest enclosing anonymous function below `stop` (None: the function body)."""
    n = node.parent
    while n is not None and n != stop:
        if n.type == "anonymous_function":
            return n
        n = n.parent
    return None


def module_definitions(module: Node) -> list[Node]:
    """The def/defp/defmacro/defmacrop calls directly in a module's body."""
    block = do_block(module)
    if block is None:
        return []
    return [
        c
        for c in block.named_children
        if c.type == "call" and call_name(c) in DEF_KEYWORDS and def_head(c) is not None
    ]


def def_name(def_call: Node) -> str | None:
    head = def_head(def_call)
    return head[0] if head else None


def def_arity(def_call: Node) -> int:
    return len(def_params(def_call))


def defines(module: Node | None, root: Node, names: set[str]) -> bool:
    """Does the module (or, without one, the file) define a function named in `names`?"""
    scope = module if module is not None else root
    for node in walk(scope):
        if node.type == "call" and call_name(node) in DEF_KEYWORDS:
            if def_name(node) in names:
                return True
    return False


def private_functions(module: Node | None) -> dict[str, list[Node]]:
    """{name: [defp clauses]} of a module."""
    out: dict[str, list[Node]] = {}
    if module is None:
        return out
    for d in module_definitions(module):
        if call_name(d) == "defp":
            name = def_name(d)
            if name:
                out.setdefault(name, []).append(d)
    return out


def local_call_name(node: Node) -> str | None:
    """The name of an unqualified call `foo(...)` that may be a local function."""
    if node.type != "call":
        return None
    target = node.child_by_field_name("target")
    if target is None or target.type != "identifier":
        return None
    name = text_of(target)
    if name in SPECIAL_FORMS:
        return None
    return name


def call_arity(call: Node) -> int:
    """The number of arguments a call receives, counting a piped-in first argument."""
    return len(call_args(call)) + (1 if is_piped_into(call) else 0)


def has_after(receive: Node) -> bool:
    block = do_block(receive)
    return block is not None and any(c.type == "after_block" for c in block.named_children)


def is_poll(receive: Node) -> bool:
    """`receive ... after 0`: a look into the mailbox, not a wait."""
    block = next((c for c in receive.named_children if c.type == "do_block"), None)
    after = next((c for c in block.named_children if c.type == "after_block"), None) if block else None
    if after is None:
        return False
    for clause in after.named_children:
        if clause.type == "stab_clause":
            args = next((c for c in clause.named_children if c.type == "arguments"), None)
            if args is not None and text_of(args).strip() in ("0", "0x0"):
                return True
    return False


def receive_patterns(receive: Node) -> list[Node]:
    """The patterns of a receive's message clauses (not the `after` clause)."""
    block = do_block(receive)
    out = []
    if block is None:
        return out
    for clause in block.named_children:
        if clause.type != "stab_clause":
            continue
        args = next((c for c in clause.named_children if c.type == "arguments"), None)
        if args is not None:
            out.extend(a for a in args.named_children if a.type != "comment")
    return out


def waits_after(
    body: Node,
    after: int,
    scope: Node | None,
    privates: dict[str, list[Node]],
    max_depth: int = 6,
) -> Iterator[tuple[Node, list[str]]]:
    """`receive` calls that run after byte `after` of `body`, in the same anonymous-function
    scope (`scope`: the fn around the starting point, or None), either directly in `body`
    or in a private function called from it after that point (transitively, up to
    `max_depth` calls). Yields (receive node, call path of "name/arity" strings)."""
    seen: set[int] = set()

    def visit(node: Node, start: int, scope: Node | None, path: list[str], depth: int):
        for n in walk(node):
            if n.type != "call" or n.start_byte < start:
                continue
            if fn_scope(n, node) != scope:
                continue
            name = call_name(n)
            if name == "receive":
                yield n, path
                continue
            local = local_call_name(n)
            if local is None or local not in privates or depth >= max_depth:
                continue
            arity = call_arity(n)
            for clause in privates[local]:
                if def_arity(clause) != arity or clause.id in seen:
                    continue
                seen.add(clause.id)
                clause_body = def_body(clause)
                if clause_body is None:
                    continue
                yield from visit(clause_body, clause_body.start_byte, None, path + [f"{local}/{arity}"], depth + 1)

    yield from visit(body, after, scope, [], 0)


def leading_atom(pattern: Node) -> str | None:
    """`:tag` of a `{:tag, ...}` tuple (through `=` bindings), else None."""
    if pattern.type == "binary_operator" and text_of(pattern.child_by_field_name("operator")) in ("=", "when"):
        return leading_atom(pattern.child_by_field_name("left")) or (
            leading_atom(pattern.child_by_field_name("right"))
            if text_of(pattern.child_by_field_name("operator")) == "="
            else None
        )
    if pattern.type == "tuple" and pattern.named_children:
        first = pattern.named_children[0]
        if first.type == "atom":
            return text_of(first)
    if pattern.type == "atom":
        return text_of(pattern)
    return None


def mfa_label(def_call: Node) -> str:
    return f"{def_name(def_call)}/{def_arity(def_call)}"
