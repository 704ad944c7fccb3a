"""SARIF 2.1.0 output (GitHub code scanning and other SARIF consumers).

Locations and fix replacements are text regions: 1-based lines, columns counting Unicode
code points (`run.columnKind = "unicodeCodePoints"`), the end column exclusive, and a
byte order mark not counted (SARIF 3.30.2). Text regions, not byte offsets, because the
spec asks producers to prefer them for text files (3.57.1) and because a binary region
would oblige `insertedContent` to be base64 (3.57.2). The replacement text has the line
endings the fix writes into that file (CRLF in a CRLF file).
"""

from __future__ import annotations

import bisect
import os
import re
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

from . import __version__
from .edits import encode_edit
from .types import Edit, FileResult, Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
BOM = b"\xef\xbb\xbf"


class _Positions:
    """Byte offset -> SARIF (line, column) in one file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0] + [m.end() for m in re.finditer(b"\n", data)]
        self.bom = data.startswith(BOM)

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        if line == 0 and self.bom:
            start = min(len(BOM), offset)
        column = len(self.data[start:offset].decode("utf-8", errors="replace")) + 1
        return line + 1, column


def _uri(path: str) -> dict[str, str]:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict[str, int]:
    s = finding.span  # Span columns already count code points and skip a byte order mark
    return {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line, "endColumn": s.end_column}


def _replacement(edit: Edit, data: bytes, positions: _Positions) -> dict[str, Any]:
    line, column = positions.at(edit.start)
    end_line, end_column = positions.at(edit.end)
    out: dict[str, Any] = {
        "deletedRegion": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
    }
    text = encode_edit(data, edit).decode("utf-8")
    if text:
        out["insertedContent"] = {"text": text}
    return out


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n", 1)[0].replace("\n", " ").strip()


def _section(doc: str, title: str) -> str | None:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return _first_paragraph(match.group(1)) if match else None


def rule_descriptor(rule: Any) -> dict[str, Any]:
    doc = rule.documentation()
    full = _section(doc, "What it does") or _first_paragraph(doc)
    return {
        "id": rule.id,
        "name": type(rule).__name__ if not isinstance(rule, type) else rule.__name__,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"fixable": bool(rule.fixable), "tags": ["otp", "elixir"]},
    }


def render(results: Sequence[FileResult], rules: Sequence[Any]) -> dict[str, Any]:
    descriptors = [rule_descriptor(r) for r in rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for r in results:
        positions = _Positions(r.original) if r.original is not None else None
        for f in r.findings:
            item: dict[str, Any] = {
                "ruleId": f.rule,
                "level": "warning",
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": _uri(f.path),
                            "region": _region(f),
                        }
                    }
                ],
            }
            if f.rule in index:
                item["ruleIndex"] = index[f.rule]
            if f.baselined:
                item["suppressions"] = [{"kind": "external", "justification": "listed in the otpfix baseline"}]
            if f.fix is not None and f.fix.edits and positions is not None and r.original is not None:
                item["fixes"] = [
                    {
                        "description": {"text": f.fix.title},
                        "artifactChanges": [
                            {
                                "artifactLocation": _uri(f.path),
                                "replacements": [
                                    _replacement(e, r.original, positions) for e in f.fix.edits
                                ],
                            }
                        ],
                        "properties": {"applicability": f.fix.applicability.value},
                    }
                ]
            sarif_results.append(item)
        if r.error:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": r.error},
                    "locations": [{"physicalLocation": {"artifactLocation": _uri(r.path)}}],
                }
            )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "otpfix",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "defaultEncoding": "utf-8",
        "invocations": [
            {
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": sarif_results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
