"""Baselines: record today's findings, then report (and fail on) only new ones.

A baseline file is JSON: {"version": 1, "findings": [{"fingerprint", "rule", "path",
"message"}]}. Matching is by fingerprint (see otpfix.fingerprint), as a multiset: two
identical findings in one function need two entries.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Sequence

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


def entries_of(results: Sequence[FileResult]) -> list[Entry]:
    return sorted(
        (Entry(f.fingerprint, f.rule, f.path, f.message) for r in results for f in r.findings),
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


def apply(results: Sequence[FileResult], entries: Sequence[Entry]) -> Outcome:
    """Mark findings present in the baseline; find stale entries.

    An unmatched entry is stale when its file was scanned in this run or no longer exists;
    entries for files outside this run that still exist are neither matched nor stale.
    """
    available = Counter(e.fingerprint for e in entries)
    consumed: Counter[str] = Counter()
    out: list[FileResult] = []
    baselined = 0
    for r in results:
        marked = []
        for f in r.findings:
            if available[f.fingerprint] > 0:
                available[f.fingerprint] -= 1
                consumed[f.fingerprint] += 1
                marked.append(replace(f, baselined=True))
                baselined += 1
            else:
                marked.append(f)
        out.append(replace(r, findings=tuple(marked)))
    scanned = {r.path for r in results}
    stale: list[Entry] = []
    kept: list[Entry] = []
    used = Counter(consumed)
    for e in entries:
        if used[e.fingerprint] > 0:
            used[e.fingerprint] -= 1
            kept.append(e)
        elif e.path in scanned or not os.path.exists(e.path):
            stale.append(e)
        else:
            kept.append(e)
    return Outcome(out, baselined, stale, kept)
