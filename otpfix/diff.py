"""Unified diffs with a/ and b/ headers that `git apply` and `patch -p1` accept."""

from __future__ import annotations

import difflib
from typing import Iterable

from .types import FileResult

NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(data: bytes) -> list[str]:
    # splitlines(keepends) on "\n" only: a "\r" stays part of its line (CRLF files diff
    # as CRLF, which is what git apply expects).
    text = data.decode("utf-8")
    out = text.split("\n")
    last = out.pop()
    lines = [line + "\n" for line in out]
    if last:
        lines.append(last)
    return lines


def _emit(prefix: str, line: str) -> str:
    if line.endswith("\n"):
        return prefix + line
    return prefix + line + "\n" + NO_NEWLINE


def _quote(path: str) -> str:
    if any(c in path for c in '"\\\t\n') or not path.isprintable():
        escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
        return f'"{escaped}"'
    return path


def unified_diff(path: str, before: bytes, after: bytes, context: int = 3) -> str:
    if before == after:
        return ""
    a, b = _lines(before), _lines(after)
    old, new = _quote("a/" + path), _quote("b/" + path)
    out = [f"diff --git {old} {new}\n", f"--- {old}\n", f"+++ {new}\n"]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_emit(" ", line) for line in a[a1:a2])
                continue
            out.extend(_emit("-", line) for line in a[a1:a2])
            out.extend(_emit("+", line) for line in b[b1:b2])
    return "".join(out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return f"{first}" if length == 1 else f"{first},{length}"


def run_diff(results: Iterable[FileResult]) -> str:
    return "".join(
        unified_diff(r.path, r.original or b"", r.fixed or b"") for r in results if r.changed
    )
