"""Find nodes from the byte positions of a word instead of walking the whole tree.

Private module (leading underscore): the registry does not load rules from it.

A query or a walk visits every node of the file (about a quarter of the parse's cost each
time); most rules look for a few calls whose names must appear in the bytes. These
helpers find every occurrence of such a word with `bytes.find` (in C), take the smallest
named node that spans it and climb a few parents to the call. They are exact: a call whose
name is written with the word starts a node at one of the word's occurrences, and every
candidate is checked with the same predicate (`call_name`) the tree walk would use.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from tree_sitter import Node

from otpfix.syntax import call_name


def occurrences(data: bytes, word: bytes, start: int = 0, end: int | None = None) -> Iterator[int]:
    """Byte offsets of every occurrence of `word` in data[start:end] (overlaps included)."""
    stop = len(data) if end is None else end
    find = data.find
    i = find(word, start, stop)
    while i != -1:
        yield i
        i = find(word, i + 1, stop)


def nodes_at(root: Node, data: bytes, word: bytes, start: int = 0, end: int | None = None) -> Iterator[Node]:
    """The smallest named node spanning each occurrence of `word` (under `root`)."""
    size = len(word)
    lookup = root.named_descendant_for_byte_range
    for i in occurrences(data, word, start, end):
        yield lookup(i, i + size)


def preorder(nodes: Iterable[Node]) -> list[Node]:
    """Distinct nodes in the order of a pre-order walk of the tree (start first, the outer
    node first on equal starts)."""
    seen: dict[tuple[int, int, str], Node] = {}
    for n in nodes:
        seen.setdefault((n.start_byte, n.end_byte, n.type), n)
    return sorted(seen.values(), key=lambda n: (n.start_byte, -n.end_byte))


def calls_at(node: Node, pos: int) -> Iterator[Node]:
    """The calls whose target is, or whose target's left side is, `node` or one of its
    ancestors that start at byte `pos` (`word(...)`, `word.fun(...)`, `word.X.fun(...)`,
    `word.x.(...)`)."""
    m: Node | None = node
    while m is not None and m.start_byte == pos:
        parent = m.parent
        if parent is None:
            return
        if parent.type == "call":
            if parent.child_by_field_name("target") == m:
                yield parent
        elif parent.type == "dot" and parent.child_by_field_name("left") == m:
            call = parent.parent
            if call is not None and call.type == "call" and call.child_by_field_name("target") == parent:
                yield call
        m = parent


def first_word(name: str) -> str:
    """The bytes every target written for `call_name` == name (or a name starting with
    it) starts with: the text up to the first "."."""
    return name.split(".", 1)[0]


class CallNames:
    """A set of call names (and name prefixes) to locate by their bytes (see `find`)."""

    def __init__(self, names: Iterable[str], prefixes: Iterable[str] = ()) -> None:
        self.names = frozenset(names)
        self.prefixes = tuple(prefixes)
        words = {first_word(n) for n in self.names} | {first_word(p) for p in self.prefixes}
        #: None when some name cannot be looked for by its bytes (it starts with ".").
        self.words = None if "" in words else tuple(sorted(w.encode("utf-8") for w in words))

    def matches(self, name: str | None) -> bool:
        return name is not None and (name in self.names or name.startswith(self.prefixes))

    def find(self, root: Node, data: bytes, start: int = 0, end: int | None = None) -> list[Node]:
        """Every call under `root` (within data[start:end]) whose `call_name` is one of
        the names or starts with one of the prefixes, in pre-order: what a walk of the
        tree filtered by that test yields, without the walk.

        Exact: `call_name` is the text of the target identifier (no "." in it), or the
        text of the dot's left side followed by "." and more; so the target, or the left
        side, starts with the name's text up to its first "." (`first_word`), at one of
        its occurrences, and the node found there or one of its ancestors that start at
        the same byte is that target or left side. Raises ValueError for a name whose
        first word is empty (".x"): the caller must walk the tree instead.
        """
        if self.words is None:
            raise ValueError("a name starting with '.' cannot be located by its first word")
        lookup = root.named_descendant_for_byte_range
        found = []
        for word in self.words:
            size = len(word)
            for pos in occurrences(data, word, start, end):
                for call in calls_at(lookup(pos, pos + size), pos):
                    if self.matches(call_name(call)):
                        found.append(call)
        return preorder(found)


def calls_named(
    root: Node,
    data: bytes,
    names: Iterable[str],
    start: int = 0,
    end: int | None = None,
    prefixes: Iterable[str] = (),
) -> list[Node]:
    """`CallNames(names, prefixes).find(root, data, start, end)`."""
    return CallNames(names, prefixes).find(root, data, start, end)
