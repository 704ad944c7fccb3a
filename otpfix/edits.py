"""Applying fixes to bytes: sort, drop no-ops, defer overlaps (ruff's model)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

from .types import Edit, Fix


@dataclass(frozen=True)
class Applied:
    data: bytes
    applied: tuple[int, ...]  # indexes into the given fixes, in application order
    deferred: tuple[int, ...]  # overlapping fixes left for the next pass


def newline_at(data: bytes, offset: int) -> bytes:
    """The line ending in force at `offset`: that of the line containing it, else the
    file's first line ending, else "\\n"."""
    end = data.find(b"\n", offset)
    if end != -1:
        return b"\r\n" if end > 0 and data[end - 1 : end] == b"\r" else b"\n"
    before = data.rfind(b"\n", 0, offset)
    if before != -1:
        return b"\r\n" if before > 0 and data[before - 1 : before] == b"\r" else b"\n"
    return b"\n"


def encode_edit(data: bytes, edit: Edit) -> bytes:
    """The bytes an edit writes, with "\\n" turned into the local line ending."""
    raw = edit.text.encode("utf-8")
    nl = newline_at(data, edit.start)
    if nl != b"\n" and b"\n" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", nl)
    return raw


def _is_noop(data: bytes, edit: Edit) -> bool:
    return data[edit.start : edit.end] == encode_edit(data, edit)


def apply_fixes(data: bytes, fixes: Sequence[Fix]) -> Applied:
    """Apply every fix that does not overlap or touch one applied before it.

    Fixes are taken in order of their first edit (ties: the given order, which the engine
    makes deterministic). A fix all of whose edits are no-ops counts as neither applied nor
    deferred. Two insertions at the same offset, or an edit that starts where the previous
    one ended, are "touching": the second waits for the next pass, when it is recomputed
    on the new text.
    """
    order = sorted(range(len(fixes)), key=lambda i: (fixes[i].start, fixes[i].end, i))
    chosen: list[int] = []
    deferred: list[int] = []
    taken = _Ranges()
    for i in order:
        edits = [e for e in fixes[i].edits if not _is_noop(data, e)]
        if not edits:
            continue
        if any(taken.conflicts(e.start, e.end) for e in edits):
            deferred.append(i)
            continue
        chosen.append(i)
        for e in edits:
            taken.add(e.start, e.end)
    all_edits = sorted(
        (e for i in chosen for e in fixes[i].edits if not _is_noop(data, e)),
        key=lambda e: (e.start, e.end),
    )
    out = bytearray()
    pos = 0
    for e in all_edits:
        out += data[pos : e.start]
        out += encode_edit(data, e)
        pos = e.end
    out += data[pos:]
    return Applied(bytes(out), tuple(chosen), tuple(deferred))


class _Ranges:
    """Claimed byte ranges, sorted by start; conflicts are found by bisection (a file
    with many thousands of fixes must not be quadratic)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def conflicts(self, start: int, end: int) -> bool:
        """Overlap, or touching (adjacent / same insertion point): both are conflicts.

        Claimed ranges never overlap, so sorted by start their ends do not decrease,
        except among ranges with the same start (an insertion next to a replacement of
        the same fix): the candidates are the ranges starting at the largest start <= end."""
        j = bisect.bisect_right(self.starts, end) - 1
        while j >= 0:
            if self.ends[j] >= start:
                return True
            if j > 0 and self.starts[j - 1] == self.starts[j]:
                j -= 1
                continue
            return False
        return False

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
