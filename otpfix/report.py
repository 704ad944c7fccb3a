"""Renderers (text, json, sarif, github) and exit codes. Renderers return strings; the CLI prints them."""

from __future__ import annotations

import json
import os
from typing import TextIO, Sequence

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


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_STYLES = {"path": "1", "loc": "2", "rule": "33", "fix": "32", "error": "31;1"}


def _style(text: str, kind: str, color: bool) -> str:
    return f"\x1b[{_STYLES[kind]}m{text}\x1b[0m" if color else text


def render_sarif(results: Sequence[FileResult], rules: Sequence) -> str:
    """SARIF 2.1.0: one `rule` per enabled transform, results with locations and fixes."""
    from .sarif import render

    return json.dumps(render(results, rules), indent=2, ensure_ascii=False) + "\n"


def render_text(results: Sequence[FileResult], color: bool = False) -> str:
    """Findings grouped by file: `line:column  rule [*]  message`, `[*]` marking a fix.
    Findings in a baseline are left out.

    Groups follow the run's (sorted) file order; a blank line separates them."""
    groups: list[str] = []
    for r in results:
        findings = [f for f in r.findings if not f.baselined]
        if not findings and not r.error:
            continue
        locs = [f"{f.span.line}:{f.span.column}" for f in findings]
        rules = [f.rule + (" [*]" if f.fix is not None else "") for f in findings]
        loc_w = max((len(x) for x in locs), default=0)
        rule_w = max((len(x) for x in rules), default=0)
        lines = [_style(r.path, "path", color)]
        for f, loc, rule in zip(findings, locs, rules):
            rule_text = _style(f.rule, "rule", color)
            if f.fix is not None:
                rule_text += " " + _style("[*]", "fix", color)
            pad_loc = " " * (loc_w - len(loc))
            pad_rule = " " * (rule_w - len(rule))
            lines.append(f"  {_style(loc, 'loc', color)}{pad_loc}  {rule_text}{pad_rule}  {f.message}")
        if r.error:
            lines.append(f"  {_style('error:', 'error', color)} {r.error}")
        groups.append("\n".join(lines) + "\n")
    return "\n".join(groups)


# -- GitHub Actions workflow commands ----------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(results: Sequence[FileResult]) -> str:
    """`::warning file=...,line=...,col=...,endLine=...,endColumn=...,title=<rule>::message`
    per finding (not those in a baseline), `::error file=...::message` per file that could
    not be processed."""
    out: list[str] = []
    for r in results:
        for f in r.findings:
            if f.baselined:
                continue
            s = f.span
            props = [
                ("file", f.path),
                ("line", str(s.line)),
                ("col", str(s.column)),
                ("endLine", str(s.end_line)),
                ("endColumn", str(s.end_column)),
                ("title", f.rule),
            ]
            message = f.message + (" (fixable: otpfix fix)" if f.fix is not None else "")
            head = ",".join(f"{k}={_gh_property(v)}" for k, v in props)
            out.append(f"::warning {head}::{_gh_data(message)}\n")
        if r.error:
            out.append(f"::error file={_gh_property(r.path)},title=otpfix::{_gh_data(r.error)}\n")
    return "".join(out)


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
