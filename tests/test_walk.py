"""syntax.walk (a tree cursor) visits exactly what a stack of children visits, in order;
Source.line_starts."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from otpfix import syntax

ROOT = Path(__file__).resolve().parent.parent


def _reference(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _key(n):
    return (n.start_byte, n.end_byte, n.type, n.is_named)


def test_walk_matches_a_stack_walk_on_every_golden_input():
    inputs = sorted((ROOT / "golden").rglob("*.ex")) + sorted((ROOT / "examples").rglob("*.ex"))
    assert len(inputs) > 50
    for path in inputs:
        root = syntax.parse(path.read_bytes()).root_node
        assert [_key(n) for n in syntax.walk(root)] == [_key(n) for n in _reference(root)], path
        # Sub-trees: the walk stays inside the node it starts from (no siblings, no parent).
        for sub in list(_reference(root))[:: 7]:
            assert [_key(n) for n in syntax.walk(sub)] == [_key(n) for n in _reference(sub)], path


def test_walk_of_a_leaf_and_of_an_empty_file():
    root = syntax.parse(b"x = 1\n").root_node
    leaf = root.named_children[0].named_children[0]
    assert [_key(n) for n in syntax.walk(leaf)] == [_key(leaf)]
    empty = syntax.parse(b"").root_node
    assert [n.type for n in syntax.walk(empty)] == ["source"]


# -- Source.line_starts: the running sum of line lengths equals a scan for "\n" ------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"\r\n", b"x", b"\xc3\xa9", b" ", b"#"]), max_size=30))
def test_line_starts_are_the_offsets_after_each_newline(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    expected = [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
    assert syntax.Source(data).line_starts == expected
