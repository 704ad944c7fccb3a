"""syntax.walk (a tree cursor) visits exactly what a stack of children visits, in order."""

from __future__ import annotations

from pathlib import Path

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
