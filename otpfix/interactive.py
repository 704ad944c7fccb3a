"""`otpfix fix --interactive`: review each fix like `git add -p`.

Each fixable finding is shown as a hunk with its rule, message and applicability; the user
answers y (apply), n (skip), a (apply this and every remaining fix of the same rule), or q
(stop). Accepted fixes are applied together at the end, re-parsed, and written atomically;
after q, what was accepted is written only when the user confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

from rich.console import Console
from rich.text import Text

from .diff import unified_diff
from .edits import apply_fixes
from .syntax import Source, error_count
from .types import Applicability, FileResult, Finding

Ask = Callable[[str], str]


@dataclass
class Review:
    results: list[FileResult]
    accepted: int
    skipped: int
    quit: bool
    notes: list[str]


def _show_hunk(console: Console, finding: Finding, original: bytes) -> None:
    assert finding.fix is not None
    after = apply_fixes(original, [finding.fix]).data
    label = "safe" if finding.fix.applicability is Applicability.SAFE else "unsafe: review the behaviour change"
    console.print(
        Text.assemble(
            (f"{finding.path}:{finding.span.line}:{finding.span.column} ", "bold"),
            (finding.rule, "bold magenta"),
            f" ({label})",
        )
    )
    console.print(Text(finding.message, style="italic"))
    for line in unified_diff(finding.path, original, after).splitlines()[3:]:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else None
        console.print(Text(line, style=style) if style else Text(line))


def review(
    results: Sequence[FileResult],
    ask: Ask,
    console: Console,
    safe_only: bool = False,
) -> Review:
    """Ask about every usable fix; return results whose `fixed` holds the accepted fixes."""
    accepted: dict[str, list[Finding]] = {}
    all_of_rule: set[str] = set()
    n_accepted = n_skipped = 0
    stopped = False
    candidates = [
        (r, f)
        for r in results
        if r.error is None
        for f in r.findings
        if f.fix is not None and not (safe_only and f.fix.applicability is not Applicability.SAFE)
    ]
    for index, (result, finding) in enumerate(candidates, 1):
        if finding.rule in all_of_rule:
            accepted.setdefault(result.path, []).append(finding)
            n_accepted += 1
            continue
        console.print(Text(f"\n[{index}/{len(candidates)}]", style="dim"))
        _show_hunk(console, finding, result.original or b"")
        while True:
            answer = ask("Apply this fix? [y]es / [n]o / [a]ll of this rule / [q]uit: ").strip().lower()
            if answer in ("y", "n", "a", "q"):
                break
            console.print("Please answer y, n, a or q.")
        if answer == "q":
            stopped = True
            break
        if answer == "n":
            n_skipped += 1
            continue
        if answer == "a":
            all_of_rule.add(finding.rule)
        accepted.setdefault(result.path, []).append(finding)
        n_accepted += 1

    notes: list[str] = []
    out: list[FileResult] = []
    for r in results:
        chosen = accepted.get(r.path)
        if not chosen or r.original is None:
            out.append(r)
            continue
        applied = apply_fixes(r.original, [f.fix for f in chosen])  # type: ignore[misc]
        if len(applied.applied) < len(chosen):
            notes.append(
                f"{r.path}: {len(chosen) - len(applied.applied)} accepted fix(es) overlapped another "
                "and were not applied; run otpfix again to review them"
            )
        if error_count(Source(applied.data).root) > 0:
            notes.append(f"{r.path}: the accepted fixes together break the syntax; file not changed")
            out.append(r)
            continue
        out.append(
            replace(r, fixed=applied.data, applied=tuple(chosen[i].rule for i in applied.applied))
        )
    return Review(out, n_accepted, n_skipped, stopped, notes)
