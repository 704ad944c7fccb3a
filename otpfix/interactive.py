"""`otpfix fix --interactive`: review each fix like `git add -p`.

Each fixable finding is shown as a hunk with its rule, message and applicability; the user
answers y (apply), n (skip), a (apply this and every remaining fix of the same rule), or q
(stop). The accepted findings are then fixed by the engine's normal loop restricted to them
(RunOptions.accept, by fingerprint), so fixes that touch the same place (a helper added once
per module) are applied over several passes exactly as `otpfix fix` would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from rich.console import Console
from rich.text import Text

from .diff import unified_diff
from .edits import apply_fixes
from .types import Applicability, FileResult, Finding

Ask = Callable[[str], str]


@dataclass
class Review:
    accepted: set[tuple[str, str]] = field(default_factory=set)
    rejected: set[tuple[str, str]] = field(default_factory=set)
    quit: bool = False

    @property
    def accept(self) -> frozenset[tuple[str, str]]:
        """What to fix: accepted, minus identical findings the user also rejected."""
        return frozenset(self.accepted - self.rejected)

    @property
    def ambiguous(self) -> int:
        return len(self.accepted & self.rejected)


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


def review(results: Sequence[FileResult], ask: Ask, console: Console, safe_only: bool = False) -> Review:
    """Ask about every usable fix of `results` (a scan); return the user's decisions."""
    decisions = Review()
    all_of_rule: set[str] = set()
    candidates = [
        (r, f)
        for r in results
        if r.error is None
        for f in r.findings
        if f.fix is not None and not (safe_only and f.fix.applicability is not Applicability.SAFE)
    ]
    for index, (result, finding) in enumerate(candidates, 1):
        key = (finding.path, finding.fingerprint)
        if finding.rule in all_of_rule:
            decisions.accepted.add(key)
            continue
        console.print(Text(f"\n[{index}/{len(candidates)}]", style="dim"))
        _show_hunk(console, finding, result.original or b"")
        while True:
            answer = ask("Apply this fix? [y]es / [n]o / [a]ll of this rule / [q]uit: ").strip().lower()
            if answer in ("y", "n", "a", "q"):
                break
            console.print("Please answer y, n, a or q.")
        if answer == "q":
            decisions.quit = True
            break
        if answer == "n":
            decisions.rejected.add(key)
            continue
        if answer == "a":
            all_of_rule.add(finding.rule)
        decisions.accepted.add(key)
    return decisions
