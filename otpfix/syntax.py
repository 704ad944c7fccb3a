"""Parsing and small, structural helpers over tree-sitter-elixir trees.

All offsets are byte offsets into the file's bytes. Helpers return None (or an empty
result) when the shape is not the one they know; callers give up rather than guess.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from itertools import accumulate
from typing import Iterable, Iterator

import tree_sitter_elixir
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

LANGUAGE = Language(tree_sitter_elixir.language())

# Definitions that open a function clause.
DEF_KEYWORDS = frozenset({"def", "defp", "defmacro", "defmacrop"})


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(LANGUAGE)


@lru_cache(maxsize=256)
def compile_query(text: str) -> Query:
    return Query(LANGUAGE, text)


def parse(data: bytes) -> Tree:
    return _parser().parse(data)


def error_count(node: Node) -> int:
    """Number of ERROR and MISSING nodes under `node` (iterative: no recursion limit)."""
    if not node.has_error:
        return 0
    count = 0
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            count += 1
        if n.has_error:
            stack.extend(n.children)
    return count


def first_error(node: Node) -> Node | None:
    """The most precise syntax error under `node`: the smallest ERROR or MISSING node
    (a MISSING token has no width), the first one on ties."""
    best: Node | None = None
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            size = n.end_byte - n.start_byte
            if best is None or (size, n.start_byte) < (best.end_byte - best.start_byte, best.start_byte):
                best = n
        if n.has_error:
            stack.extend(n.children)
    return best


class Source:
    """A file's bytes, its tree and a line index."""

    def __init__(self, data: bytes, path: str = "<memory>") -> None:
        self.data = data
        self.path = path
        self.tree = parse(data)
        self.root: Node = self.tree.root_node
        self._line_starts: list[int] | None = None

    # -- positions ---------------------------------------------------------------------
    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            # Offsets after each "\n": the running sum of line lengths (in C, not a loop).
            lines = self.data.split(b"\n")
            self._line_starts = list(accumulate([len(line) + 1 for line in lines[:-1]], initial=0))
        return self._line_starts

    def line_of(self, offset: int) -> int:
        """0-based line index of a byte offset."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column); the column counts characters, not bytes."""
        line = self.line_of(offset)
        start = self.line_starts[line]
        if line == 0 and self.data.startswith(b"\xef\xbb\xbf") and offset >= 3:
            start = 3  # a byte-order mark is not a column
        column = len(self.data[start:offset].decode("utf-8", errors="replace")) + 1
        return line + 1, column

    def line_start(self, offset: int) -> int:
        return self.line_starts[self.line_of(offset)]

    def line_end(self, offset: int) -> int:
        """Offset of the newline ending the line of `offset` (or EOF); excludes "\\r"."""
        end = self.data.find(b"\n", offset)
        if end == -1:
            end = len(self.data)
        if end > 0 and self.data[end - 1 : end] == b"\r":
            end -= 1
        return end

    def indent_of(self, offset: int) -> str:
        """The leading whitespace of the line that contains `offset`."""
        start = self.line_start(offset)
        i = start
        while i < len(self.data) and self.data[i] in b" \t":
            i += 1
        return self.data[start:i].decode("ascii")

    def is_first_on_line(self, offset: int) -> bool:
        start = self.line_start(offset)
        return self.data[start:offset].strip(b" \t") == b""

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8")

    # -- queries -----------------------------------------------------------------------
    def matches(self, query: str, node: Node | None = None) -> list[dict[str, list[Node]]]:
        cursor = QueryCursor(compile_query(query))
        return [captures for _, captures in cursor.matches(node or self.root)]

    def captures(self, query: str, name: str, node: Node | None = None) -> list[Node]:
        cursor = QueryCursor(compile_query(query))
        nodes = cursor.captures(node or self.root).get(name, [])
        return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


# -- node helpers --------------------------------------------------------------------------


def text_of(node: Node) -> str:
    text = node.text  # (a new bytes object at each access: read once)
    return text.decode("utf-8") if text is not None else ""


def walk(node: Node) -> Iterator[Node]:
    """Pre-order traversal (every node, named or not) without recursion.

    A tree cursor moves in C and builds no child lists: about twice as fast as a stack of
    `children`, which matters because many rules walk whole trees."""
    cursor = node.walk()
    yield cursor.node  # type: ignore[misc]
    depth = 0
    while True:
        if cursor.goto_first_child():
            depth += 1
        else:
            while True:
                if depth == 0:
                    return
                if cursor.goto_next_sibling():
                    break
                cursor.goto_parent()
                depth -= 1
        yield cursor.node  # type: ignore[misc]


def call_name(node: Node) -> str | None:
    """The callee of a `call` node as written: "def", "Process.monitor", ":ets.insert",
    "fun." for an anonymous call. None when the node is not a call with a plain target."""
    if node is None or node.type != "call":
        return None
    target = node.child_by_field_name("target")
    if target is None:
        return None
    if target.type == "identifier":
        return text_of(target)
    if target.type == "dot":
        left = target.child_by_field_name("left")
        right = target.child_by_field_name("right")
        if left is None:
            return None
        if right is None:
            # anonymous function call: fun.(x)
            return text_of(left) + "."
        if left.type in ("alias", "atom", "identifier"):
            return f"{text_of(left)}.{text_of(right)}"
        if left.type == "dot" or left.type == "call":
            return None
    return None


def arguments_node(call: Node) -> Node | None:
    for child in call.named_children:
        if child.type == "arguments":
            return child
    return None


def call_args(call: Node) -> list[Node]:
    """Positional and keyword arguments of a call, in order (a trailing `keywords` node
    counts as one argument, as in Elixir)."""
    args = arguments_node(call)
    if args is None:
        return []
    return [c for c in args.named_children if c.type != "comment"]


def pipe_left(call: Node) -> Node | None:
    """The left side of `left |> call(...)` when `call` is the right operand of a pipe."""
    parent = call.parent
    if (
        parent is not None
        and parent.type == "binary_operator"
        and operator(parent) == "|>"
        and parent.child_by_field_name("right") == call
    ):
        return parent.child_by_field_name("left")
    return None


def is_piped_into(call: Node) -> bool:
    """`x |> call(...)`: the call receives one more argument than it shows."""
    return pipe_left(call) is not None


def effective_args(call: Node) -> list[Node]:
    """The call's arguments, with the left side of `left |> call(...)` prepended."""
    left = pipe_left(call)
    args = call_args(call)
    return [left] + args if left is not None else args


def do_block(call: Node) -> Node | None:
    for child in call.named_children:
        if child.type == "do_block":
            return child
    return None


def keyword_pairs(node: Node) -> list[tuple[str, Node, Node]]:
    """(key, pair node, value node) for a `keywords` node or a keyword `list`."""
    out = []
    container = node
    if node.type == "list":
        kws = [c for c in node.named_children if c.type == "keywords"]
        if not kws:
            return []
        container = kws[0]
    if container.type != "keywords":
        return []
    for pair in container.named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if key is None or value is None:
            continue
        k = text_of(key).strip()
        if k.endswith(":"):
            k = k[:-1]
        out.append((k, pair, value))
    return out


def keyword_value(node: Node, key: str) -> Node | None:
    for k, _pair, value in keyword_pairs(node):
        if k == key:
            return value
    return None


def def_head(def_call: Node) -> tuple[str, Node | None, Node | None] | None:
    """For a `def`/`defp` call: (function name, the call node of the head or the bare
    identifier, the guard expression or None)."""
    if call_name(def_call) not in DEF_KEYWORDS:
        return None
    return def_clause_head(def_call)


def def_clause_head(def_call: Node) -> tuple[str, Node | None, Node | None] | None:
    """`def_head` of a call already known to be a `def`/`defp`/`defmacro`/`defmacrop`
    (its keyword not checked again)."""
    # `call_args(def_call)[0]`: the first named child of the arguments that is no comment
    arguments = arguments_node(def_call)
    if arguments is None:
        return None
    head = arguments.named_child(0)
    if head is not None and head.type == "comment":
        head = next((c for c in arguments.named_children if c.type != "comment"), None)
    if head is None:
        return None
    guard = None
    if head.type == "binary_operator" and _operator(head) == "when":
        guard = head.child_by_field_name("right")
        head = head.child_by_field_name("left")
    if head is None:
        return None
    if head.type == "call":
        target = head.child_by_field_name("target")
        if target is None or target.type != "identifier":
            return None
        return text_of(target), head, guard
    if head.type == "identifier":
        return text_of(head), head, guard
    return None


def def_params(def_call: Node) -> list[Node]:
    info = def_head(def_call)
    if info is None or info[1] is None or info[1].type != "call":
        return []
    return call_args(info[1])


def def_body(def_call: Node) -> Node | None:
    """The `do_block` of a def, or the value node of a `do:` keyword."""
    block = do_block(def_call)
    if block is not None:
        return block
    args = call_args(def_call)
    if len(args) >= 2 and args[-1].type == "keywords":
        return keyword_value(args[-1], "do")
    return None


def _operator(node: Node) -> str | None:
    op = node.child_by_field_name("operator")
    return text_of(op) if op is not None else None


def operator(node: Node) -> str | None:
    """The operator of a binary_operator / unary_operator node."""
    if node.type not in ("binary_operator", "unary_operator"):
        return None
    return _operator(node)


def enclosing(node: Node, predicate) -> Node | None:
    n = node.parent
    while n is not None:
        if predicate(n):
            return n
        n = n.parent
    return None


def enclosing_def(node: Node) -> Node | None:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) in DEF_KEYWORDS)


def enclosing_module(node: Node) -> Node | None:
    return enclosing(node, lambda n: n.type == "call" and call_name(n) == "defmodule")


def module_name(defmodule: Node) -> str | None:
    args = call_args(defmodule)
    if args and args[0].type == "alias":
        return text_of(args[0])
    return None


def block_expressions(block: Node) -> list[Node]:
    """The expressions of a do_block's body (before any rescue/catch/else/after block)."""
    out = []
    for child in block.named_children:
        if child.type in ("rescue_block", "catch_block", "else_block", "after_block"):
            break
        if child.type == "comment":
            continue
        out.append(child)
    return out


def identifiers_in(node: Node) -> set[str]:
    return {text_of(n) for n in walk(node) if n.type == "identifier"}


def calls_in(node: Node) -> Iterable[Node]:
    return (n for n in walk(node) if n.type == "call")


# -- keys of module facts (Transform.provides) -----------------------------------------------

_GAP = rb"(?:\s|#[^\n]*)*"  # white space and comments
_SEGMENT = rb"[A-Z][A-Za-z0-9_]*"
# What may follow the word `defmodule` when it is the call's name: white space, comments,
# opening parentheses, then (for the rules' module facts) an alias, possibly with white
# space and comments around its dots.
_AFTER_DEFMODULE = re.compile(
    rb"(?:\s|#[^\n]*|\()*(" + _SEGMENT + rb"(?:" + _GAP + rb"\." + _GAP + _SEGMENT + rb")*)?"
)
_LAST_SEGMENT = re.compile(_SEGMENT + rb"$")
# `defmodule` is not the identifier `defmodule` after these (part of a longer identifier,
# or a remote call `Kernel.defmodule`) or before these (`defmodule?`, the key `defmodule:`).
_NOT_BEFORE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.")
_NOT_AFTER = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_?!:")


def defined_module_keys(data: bytes) -> list[bytes] | None:
    """The last segment of every module a file can define (`defmodule A.B.C` and
    `defmodule C` nested in `defmodule A.B` both give `C`), found in the bytes without
    parsing: the keys for `Transform.provides` of rules whose facts are per module (named
    from the alias argument of `defmodule`; their `wanted` gives `module_key` of each
    module they look up). Over-approximates (a `defmodule` in a comment or a string
    counts). None when some `defmodule` is not followed by an alias (`defmodule
    unquote(name)`, prose): any module then."""
    keys: dict[bytes, None] = {}
    at = data.find(b"defmodule")
    while at != -1:
        end = at + 9
        if (at == 0 or data[at - 1] not in _NOT_BEFORE) and (end == len(data) or data[end] not in _NOT_AFTER):
            alias = _AFTER_DEFMODULE.match(data, end).group(1)  # type: ignore[union-attr]
            last = _LAST_SEGMENT.search(alias) if alias is not None else None
            if last is None:
                return None
            keys.setdefault(last.group(0), None)
        at = data.find(b"defmodule", end)
    return list(keys)


def module_key(name: str) -> bytes | None:
    """The key of module `name` ("A.B.C", as a rule names it from alias text) among
    `defined_module_keys`: its last segment; None when it has none (then want every file)."""
    last = _LAST_SEGMENT.search(name.rstrip().encode("utf-8"))
    return last.group(0) if last is not None else None
