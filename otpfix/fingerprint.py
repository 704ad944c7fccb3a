"""Stable finding fingerprints for baselines.

A fingerprint survives unrelated edits: it is made of the rule id, the path, the enclosing
module and function (name/arity), and a hash of the offending code with all white space and
comments removed. It does not contain line numbers, so moving code, adding lines above it or
reformatting it keeps the fingerprint; changing the offending code changes it.
"""

from __future__ import annotations

import hashlib

from tree_sitter import QueryCursor

from .syntax import (
    Source,
    call_name,
    compile_query,
    def_head,
    def_params,
    enclosing_def,
    enclosing_module,
    module_name,
)
from .types import Finding


COMMENTS = "(comment) @comment"


def normalised_text(source: Source, start: int, end: int) -> bytes:
    node = source.root.descendant_for_byte_range(start, end)
    comments = []
    if node is not None:
        # A query finds the comments in C: walking a whole module in Python for every
        # finding on it cost more than parsing the file.
        cursor = QueryCursor(compile_query(COMMENTS))
        cursor.set_byte_range(start, end)
        found = cursor.captures(node).get("comment", [])
        comments = sorted((n.start_byte, n.end_byte) for n in found)
    out, pos = bytearray(), start
    for c_start, c_end in comments:
        if c_start < start or c_end > end:
            continue
        out += source.data[pos:c_start]
        pos = c_end
    out += source.data[pos:end]
    return b"".join(bytes(out).split())


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
    for part in (finding.rule, finding.path, module, function):
        h.update(part.encode("utf-8") + b"\0")
    h.update(text)
    return h.hexdigest()[:32]
