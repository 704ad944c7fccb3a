"""Exact pre-filters and needle-driven candidates for the detector rules.

Private module (leading underscore): the registry does not load rules from it.

Two tools, both exact (they never lose a node the rules' own tests would accept):

- `word(...)` / `atom(...)`: `found(data)` tells whether a name occurs in a file's bytes
  where it can be a whole tree-sitter-elixir identifier (or atom) token, i.e. not
  followed by `[0-9A-Za-z_]` (atoms: or `@`). The grammar's identifier is
  `[_\\p{Ll}...][\\p{ID_Continue}]*[?!]?` and atoms are `:` + `[\\p{ID_Start}_]
  [\\p{ID_Continue}@]*[?!]?`; tree-sitter lexes the longest match, so a token whose text
  is exactly `send` is never followed by an ASCII letter, digit or `_` (they are all
  ID_Continue: the token would have gone on). Only what follows is tested, never what
  precedes: a token can end right before the name (`1send(a, b)` lexes as the integer `1`
  and a call of `send`, `?asend` as the char `?a` and `send`), so a letter or digit before
  it proves nothing. `?` and `!` after it are not excluded either (cheap to keep, and
  not worth an argument about the lexer's states).

- `nodes_at` / `calls_named` / `defs_named`: instead of walking the whole tree, start from
  the places where a name occurs in the bytes. A node whose text is exactly `name` covers
  an occurrence of `name`, and tree-sitter returns the smallest node that spans a byte
  range, so climbing from there while the range stays the same visits every node with
  that exact text at that place.
"""

from __future__ import annotations

from typing import Iterable

from tree_sitter import Node

from otpfix.syntax import DEF_KEYWORDS, call_name, def_head

#: Bytes that continue an identifier or atom token (ASCII part of ID_Continue; atoms add @).
_CONTINUE = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
_ATOM_CONTINUE = _CONTINUE + b"@"


class Words:
    """Names that must occur as whole tokens (see the module docstring): `found(data)`."""

    def __init__(self, names: tuple[str, ...], continuing: bytes) -> None:
        needles = sorted({n.encode() for n in names}, key=len)
        # (needle, the shorter needles inside it: when one of those is absent, so is it)
        self._needles = [(n, [m for m in needles if len(m) < len(n) and m in n]) for n in needles]
        self._continuing = frozenset(continuing)

    def found(self, data: bytes) -> bool:
        # `bytes.find` and a look at the next byte: much faster than a regex scan.
        find, continuing, size = data.find, self._continuing, len(data)
        absent = []
        for needle, parts in self._needles:
            if any(p in absent for p in parts):
                continue
            i = find(needle)
            if i == -1:
                absent.append(needle)
            while i != -1:
                after = i + len(needle)
                if after >= size or data[after] not in continuing:
                    return True
                i = find(needle, i + 1)
        return False


def word(*names: str) -> Words:
    """`names` where one of them can be a whole identifier token."""
    return Words(names, _CONTINUE)


def atom(*names: str) -> Words:
    """The atoms `names` (":DOWN") where one of them can be a whole atom token."""
    return Words(names, _ATOM_CONTINUE)


def occurrences(data: bytes, needle: bytes) -> Iterable[int]:
    """Every offset of `needle` in `data` (overlapping ones included)."""
    find = data.find
    i = find(needle)
    while i != -1:
        yield i
        i = find(needle, i + 1)


def nodes_at(root: Node, start: int, end: int) -> list[Node]:
    """Every node (named or not) spanning exactly bytes [start, end), innermost first."""
    out = []
    node: Node | None = root.descendant_for_byte_range(start, end)
    while node is not None and node.start_byte == start and node.end_byte == end:
        out.append(node)
        node = node.parent
    return out


def walk_order(nodes: Iterable[Node]) -> list[Node]:
    """Distinct nodes in the order of a pre-order walk (and of `Source.captures`)."""
    seen: dict[tuple[int, int], Node] = {}
    for n in nodes:
        seen.setdefault((n.id, n.start_byte), n)
    return sorted(seen.values(), key=lambda n: (n.start_byte, -n.end_byte))


def calls_named(root: Node, data: bytes, name: str) -> list[Node]:
    """Every `call` whose target is a node with text `name` (`name(...)`) or a dot whose
    right side has text `name` (`X.name(...)`), in walk order. A superset of the calls
    whose `call_name` is `name` or ends with `.name`: callers still test `call_name`."""
    needle = name.encode()
    out = []
    for pos in occurrences(data, needle):
        for n in nodes_at(root, pos, pos + len(needle)):
            parent = n.parent
            if parent is None:
                continue
            if parent.type == "call":
                if parent.child_by_field_name("target") == n:
                    out.append(parent)
            elif parent.type == "dot" and parent.child_by_field_name("right") == n:
                call = parent.parent
                if call is not None and call.type == "call" and call.child_by_field_name("target") == parent:
                    out.append(call)
    return walk_order(out)


def defs_named(root: Node, data: bytes, name: str) -> list[Node]:
    """Every def/defp/defmacro/defmacrop call whose `def_head` name is `name`.

    The name node of a clause (`def_head`) is at most four levels under it: the name
    identifier, the head call, a `when` operator, the arguments, the def."""
    needle = name.encode()
    out = []
    for pos in occurrences(data, needle):
        for n in nodes_at(root, pos, pos + len(needle)):
            a = n.parent
            for _ in range(4):
                if a is None:
                    break
                if a.type == "call" and call_name(a) in DEF_KEYWORDS:
                    head = def_head(a)
                    if head is not None and head[0] == name:
                        out.append(a)
                a = a.parent
    return walk_order(out)


def is_within(node: Node, scope: Node) -> bool:
    """`node` is `scope` or one of its descendants (what `walk(scope)` visits)."""
    n: Node | None = node
    while n is not None:
        if n == scope:
            return True
        n = n.parent
    return False
