"""Stable finding fingerprints for baselines.

A fingerprint survives unrelated edits: it is made of the rule id, the enclosing module and
function (name/arity), and a hash of the offending code's tokens without white space,
comments, call parentheses, commas, keyword-list brackets and digit separators. It has no
line numbers and no path (a baseline pairs it with a path relative to the baseline file), so
moving code, adding lines above it or reformatting it (`mix format`) keeps the fingerprint;
changing the offending code changes it.
"""

from __future__ import annotations

import hashlib
from typing import Iterator

from tree_sitter import Node

from .syntax import Source, call_name, def_head, def_params, enclosing_def, enclosing_module, module_name
from .types import Finding


# Tokens a formatter adds or drops without changing the code: parentheses of calls,
# commas (trailing ones), and the brackets of a trailing keyword list.
_LAYOUT_TOKENS = frozenset({b"(", b")", b",", b"[", b"]"})


def normalised_text(source: Source, start: int, end: int) -> bytes:
    """The tokens of [start, end) without comments, layout punctuation and digit
    separators, joined by a separator that cannot occur in source: what `mix format`
    (or any re-indentation) leaves unchanged."""
    node = source.root.descendant_for_byte_range(start, end)
    tokens: list[bytes] = []
    if node is not None:
        for n in _leaves(node, start, end):
            if n.start_byte < start or n.end_byte > end or n.type == "comment":
                continue
            text = source.data[n.start_byte : n.end_byte]
            if text in _LAYOUT_TOKENS:
                continue
            if n.type in ("integer", "float"):
                text = text.replace(b"_", b"")
            tokens.append(b"".join(text.split()))
    if not any(tokens):
        return b"".join(source.data[start:end].split())
    return b"\x1f".join(tokens)


def _leaves(node: Node, start: int, end: int) -> Iterator[Node]:
    """The leaves under `node` in document order, without entering subtrees that lie
    wholly before `start` or after `end` (the leaves of such a subtree could not be
    within [start, end))."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.end_byte < start or n.start_byte > end:
            continue
        if n.child_count:
            stack.extend(reversed(n.children))
        else:
            yield n


def context_of(source: Source, start: int, end: int) -> tuple[str, str]:
    node = source.root.descendant_for_byte_range(start, end)
    if node is None:
        return "", ""
    module = enclosing_module(node) if not (node.type == "call" and call_name(node) == "defmodule") else node
    names = []
    m = module
    while m is not None:
        names.append(module_name(m) or "?")
        m = enclosing_module(m)
    function = ""
    d = enclosing_def(node)
    if d is not None:
        head = def_head(d)
        if head is not None:
            function = f"{head[0]}/{len(def_params(d))}"
    return ".".join(reversed(names)), function


def fingerprint(source: Source, finding: Finding) -> str:
    module, function = context_of(source, finding.span.start, finding.span.end)
    text = normalised_text(source, finding.span.start, finding.span.end)
    h = hashlib.sha256()
    for part in (finding.rule, module, function):
        h.update(part.encode("utf-8") + b"\0")
    h.update(text)
    return h.hexdigest()[:32]
