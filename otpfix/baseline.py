"""Baselines: record today's findings, then report (and fail on) only new ones.

A baseline file is JSON: {"version": 1, "findings": [{"fingerprint", "rule", "path",
"message"}]}. `path` is relative to the directory of the baseline file, so the baseline
works from any current directory and with absolute PATH arguments. Matching is by (path,
fingerprint) (see otpfix.fingerprint), as a multiset: two identical findings in one
function need two entries.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from .files import atomic_write
from .types import FileResult

DEFAULT_FILE = ".otpfix-baseline.json"


class BaselineError(ValueError):
    """The baseline file is missing or malformed (a usage error, exit 2)."""


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    rule: str
    path: str
    message: str


@dataclass
class Outcome:
    results: list[FileResult]
    baselined: int
    stale: list[Entry]
    kept: list[Entry]  # entries that still match something


def relative(path: str, base_dir: str) -> str:
    """`path` (as shown in the report, relative to the current directory or absolute)
    relative to `base_dir`, with "/" separators."""
    return os.path.relpath(os.path.abspath(path), base_dir).replace(os.sep, "/")


def base_dir_of(baseline_file: str) -> str:
    return os.path.dirname(os.path.abspath(baseline_file))


def entries_of(results: Sequence[FileResult], base_dir: str) -> list[Entry]:
    return sorted(
        (
            Entry(f.fingerprint, f.rule, relative(f.path, base_dir), f.message)
            for r in results
            for f in r.findings
        ),
        key=lambda e: (e.path, e.rule, e.fingerprint, e.message),
    )


def dump(entries: Sequence[Entry]) -> bytes:
    doc = {
        "version": 1,
        "findings": [
            {"fingerprint": e.fingerprint, "rule": e.rule, "path": e.path, "message": e.message}
            for e in entries
        ],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(path: str, entries: Sequence[Entry]) -> None:
    data = dump(entries)
    if os.path.exists(path):
        atomic_write(path, data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)


def load(path: str) -> list[Entry]:
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline {path}: no such file (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"baseline {path}: not a readable otpfix baseline ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"baseline {path}: not an otpfix baseline (version 1)")
    out = []
    for item in doc["findings"]:
        try:
            out.append(Entry(str(item["fingerprint"]), str(item["rule"]), str(item["path"]), str(item.get("message", ""))))
        except (KeyError, TypeError):
            raise BaselineError(f"baseline {path}: malformed entry {item!r}") from None
    return out


def apply(
    results: Sequence[FileResult],
    entries: Sequence[Entry],
    base_dir: str,
    rules_run: Iterable[str],
) -> Outcome:
    """Mark findings present in the baseline; find stale entries.

    An unmatched entry is stale when its rule ran in this run and its file was processed
    without error, or when its file no longer exists. Entries of rules that did not run
    (--select/--ignore), of files outside this run, and of files that could not be
    processed (errors, size limit) are kept as they are.
    """
    available = Counter((e.path, e.fingerprint) for e in entries)
    out: list[FileResult] = []
    baselined = 0
    for r in results:
        path = relative(r.path, base_dir)
        marked = []
        for f in r.findings:
            key = (path, f.fingerprint)
            if available[key] > 0:
                available[key] -= 1
                marked.append(replace(f, baselined=True))
                baselined += 1
            else:
                marked.append(f)
        out.append(replace(r, findings=tuple(marked)))
    ran = set(rules_run)
    processed = {relative(r.path, base_dir) for r in results if r.error is None}
    stale: list[Entry] = []
    kept: list[Entry] = []
    unmatched = available  # what is left over is what no finding matched
    for e in entries:
        key = (e.path, e.fingerprint)
        if unmatched[key] > 0:
            gone = not os.path.exists(os.path.join(base_dir, e.path))
            if gone or (e.rule in ran and e.path in processed):
                unmatched[key] -= 1
                stale.append(e)
                continue
        kept.append(e)
    return Outcome(out, baselined, stale, kept)
