"""Helpers shared by the detector rules (raw-send, telemetry-control-flow, raw-spawn, ...).

Not a rule module: the registry skips modules whose name starts with "_". Everything here
is structural (tree-sitter nodes) and gives up (returns None / empty) on shapes it does
not know.
"""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import (
    DEF_KEYWORDS,
    call_args,
    call_name,
    def_body,
    def_head,
    def_params,
    do_block,
    enclosing,
    text_of,
    walk,
)

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


def in_quote(node: Node) -> bool:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "quote") is not None


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


def module_defs(module: Node) -> list[Node]:
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
    for d in module_defs(module):
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


def is_piped_into(call: Node) -> bool:
    """`x |> call(...)`: the call receives one more argument than it shows."""
    parent = call.parent
    return (
        parent is not None
        and parent.type == "binary_operator"
        and parent.child_by_field_name("right") == call
        and text_of(parent.child_by_field_name("operator")) == "|>"
    )


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
