"""Renderers (text, json) and exit codes. Renderers return strings; the CLI prints them."""

from __future__ import annotations

import json
from typing import Sequence

from .types import FileResult, Finding

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def fix_label(finding: Finding) -> str | None:
    return finding.fix.applicability.value if finding.fix is not None else None


def finding_dict(finding: Finding) -> dict:
    s = finding.span
    return {
        "rule": finding.rule,
        "path": finding.path,
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "message": finding.message,
        "fix": fix_label(finding),
    }


def render_json(results: Sequence[FileResult], baseline: bool = False, stale: int | None = None) -> str:
    """The JSON report; with a baseline in use every finding carries `baselined` and the
    report has `stale_baseline_entries`."""

    def item(f: Finding) -> dict:
        d = finding_dict(f)
        if baseline:
            d["baselined"] = f.baselined
        return d

    doc = {
        "version": 1,
        "files": len(results),
        "findings": [item(f) for r in results for f in r.findings],
        "errors": [{"path": r.path, "message": r.error} for r in results if r.error],
    }
    if baseline:
        doc["stale_baseline_entries"] = stale or 0
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_text(results: Sequence[FileResult]) -> str:
    lines: list[str] = []
    for r in results:
        for f in r.findings:
            if f.baselined:
                continue
            marker = " [*]" if f.fix is not None else ""
            lines.append(f"{f.path}:{f.span.line}:{f.span.column}: {f.rule}{marker} {f.message}")
    for r in results:
        if r.error:
            lines.append(f"{r.path}: error: {r.error}")
    return "\n".join(lines) + ("\n" if lines else "")


def summary(results: Sequence[FileResult]) -> str:
    findings = [f for r in results for f in r.findings if not f.baselined]
    baselined = sum(1 for r in results for f in r.findings if f.baselined)
    fixable = sum(1 for f in findings if f.fix is not None)
    errors = sum(1 for r in results if r.error)
    files = len(results)
    text = f"{len(findings)} finding{'s' * (len(findings) != 1)} in {files} file{'s' * (files != 1)}"
    if fixable:
        text += f" ({fixable} fixable with `otpfix fix`)"
    if baselined:
        text += f"; {baselined} more in the baseline"
    if errors:
        text += f"; {errors} file{'s' * (errors != 1)} could not be processed"
    return text + "."


def scan_exit_code(results: Sequence[FileResult]) -> int:
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(not f.baselined for r in results for f in r.findings) else EXIT_OK


def diff_exit_code(results: Sequence[FileResult]) -> int:
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.changed for r in results) else EXIT_OK


def fix_exit_code(results: Sequence[FileResult]) -> int:
    """0 when nothing is left to handle, 1 when findings remain unfixed (like `ruff --fix`)."""
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(r.remaining for r in results) else EXIT_OK
