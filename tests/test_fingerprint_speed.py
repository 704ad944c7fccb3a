"""fingerprint.normalised_text (comments found by a query) equals the tree walk it replaced."""

from __future__ import annotations

from pathlib import Path

from otpfix import syntax
from otpfix.fingerprint import normalised_text

ROOT = Path(__file__).resolve().parent.parent


def _walk_version(source: syntax.Source, start: int, end: int) -> bytes:
    node = source.root.descendant_for_byte_range(start, end)
    comments = []
    if node is not None:
        comments = [(n.start_byte, n.end_byte) for n in syntax.walk(node) if n.type == "comment"]
    out, pos = bytearray(), start
    for c_start, c_end in comments:
        if c_start < start or c_end > end:
            continue
        out += source.data[pos:c_start]
        pos = c_end
    out += source.data[pos:end]
    return b"".join(bytes(out).split())


def test_normalised_text_unchanged_on_every_golden_node():
    inputs = sorted((ROOT / "golden").rglob("*.ex")) + sorted((ROOT / "examples").rglob("*.ex"))
    checked = with_comments = 0
    for path in inputs:
        source = syntax.Source(path.read_bytes())
        for node in syntax.walk(source.root):
            if not node.is_named:
                continue
            spans = [(node.start_byte, node.end_byte), (node.start_byte, max(node.start_byte, node.end_byte - 3))]
            for start, end in spans:
                assert normalised_text(source, start, end) == _walk_version(source, start, end), (path, start, end)
                checked += 1
            if b"#" in source.data[node.start_byte : node.end_byte]:
                with_comments += 1
    assert checked > 10_000 and with_comments > 1_000
