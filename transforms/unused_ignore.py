"""unused-ignore: report `# otpfix:ignore` markers that suppress nothing."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import lru_cache
from typing import Iterator

from otpfix import registry, suppress
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Finding

# Exact pre-filter: the rule only reports markers, and a marker is a comment whose text
# matches suppress.MARKER from its start: `#`, blanks (spaces, tabs), `otpfix:ignore`.
# A file that mentions `otpfix:ignore` only elsewhere (a string, a doc) has no marker.
_MARKER = re.compile(rb"#[ \t]*otpfix:ignore")


class UnusedIgnore(Transform):
    """Report `# otpfix:ignore` comments that suppress nothing, name unknown rules, or are misplaced.

    ## What it does
    After every other rule has run on a file, looks at each suppression comment
    (`# otpfix:ignore RULE[,RULE]` on a line or alone on the line above it,
    `# otpfix:ignore-file RULE` at the top of the file) and reports one finding per comment
    when:

    - a rule it names was enabled for this file in this run and had no finding there for
      the comment to suppress (rules that did not run: not selected, ignored in the config
      or for this path, or a test file for a rule that skips tests, are not judged);
    - it names something that is not a rule id (a typo, or a rule of another otpfix
      version): reported, never removed;
    - it names no rule at all (`# otpfix:ignore` alone suppresses nothing);
    - it is an `otpfix:ignore-file` placed after the first line of code, where it has no
      effect.

    Only comments count: the marker text inside a string, heredoc or sigil is ignored.
    A comment that also names `unused-ignore` is never reported, and
    `# otpfix:ignore-file unused-ignore` turns the rule off for the file.

    ## Why
    A suppression outlives the code it was written for. Once the finding is gone, the
    stale comment hides the next real finding on that line, and a misspelled rule id
    suppresses nothing while looking like it does. Reporting them keeps the suppressions
    honest, which matters when otpfix runs as a CI gate.

    ## Example
    Before (the `demonitor-down` finding was fixed, the comment stayed):

        def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do # otpfix:ignore demonitor-down
          Process.demonitor(ref, [:flush])
          {:noreply, state}
        end

    After:

        def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
          Process.demonitor(ref, [:flush])
          {:noreply, state}
        end

    ## Fix safety
    Safe: only comment bytes change. The fix removes the unused rule ids from the comment
    (`# otpfix:ignore a, b` -> `# otpfix:ignore a`), or the whole comment when none is
    left: a comment after code goes with the blanks before it, a comment on its own line
    goes with its line. Unknown rule ids, empty markers and misplaced `ignore-file`
    comments are reported without a fix (they show an intent that only the author can
    correct). Within one `otpfix fix` run, a marker that only became unused because other
    fixes moved or changed code is reported, not removed (it was needed on the file as
    read). Lines that fixes insert go above the comment lines holding a marker, so a
    marker stays with the line it names.
    What "unused" means depends on the run: a marker for a rule that is not enabled is
    not judged, but rule options (or a later otpfix version) can make a removed marker
    needed again.
    """

    id = "unused-ignore"
    summary = "Report otpfix:ignore comments that suppress nothing (and remove them)"
    fixable = True
    needles = (b"otpfix:ignore",)
    after_suppression = True

    def could_match(self, data: bytes) -> bool:
        return b"otpfix:ignore" in data and _MARKER.search(data) is not None

    def check(self, ctx: Context) -> Iterator[Finding]:
        sup = ctx.suppressions
        if sup is None or not sup:
            return
        known = frozenset(registry.rule_ids())
        problems = sup.problems(ctx.enabled, known, exempt=self.id)
        removable = self._removable(ctx, problems)
        for problem in problems:
            yield self._finding(ctx, problem, known, removable)

    def _removable(self, ctx: Context, problems: list[suppress.Problem]) -> Counter:
        """How many unused markers of each comment text may be fixed in this pass.

        On the file as read: all of them. On bytes rewritten by this run's fixes: only as
        many as were already unused (and fixable) in the file as read: a marker that
        became unused because another fix moved code is reported, not removed."""
        now = Counter(ctx.data[p.marker.start : p.marker.end] for p in problems if p.unused)
        if ctx.baseline is None:
            return now
        data, findings = ctx.baseline
        before = Counter(
            data[f.span.start : f.span.end] for f in findings if f.rule == self.id and f.fix is not None
        )
        # Identical comments cannot be told apart: when more are unused now than before,
        # none of them is removed.
        return Counter({text: n for text, n in now.items() if n <= before[text]})

    def _finding(
        self, ctx: Context, problem: suppress.Problem, known: frozenset[str], removable: Counter
    ) -> Finding:
        m = problem.marker
        directive = f"otpfix:{m.kind}"
        parts: list[str] = []
        if problem.misplaced:
            parts.append(f"`{directive}` after the first line of code has no effect; move it to the top of the file")
        if problem.empty:
            parts.append(f"`{directive}` names no rule; write `# {directive} RULE[,RULE]`")
        if problem.unused:
            names = ", ".join(f"`{r}`" for r in problem.unused)
            if m.file_level:
                where = "in this file"
            elif m.target is None:
                where = "after it"
            else:
                where = f"on line {m.target}"
            parts.append(f"unused suppression: no {names} finding {where}")
        for name in problem.unknown:
            hint = _hint(name, known)
            parts.append(f"unknown rule `{name}` in `{directive}`{hint}")
        fix = None
        if problem.unused and removable[ctx.data[m.start : m.end]] > 0:
            edits = suppress.removal_edits(ctx.source, m, frozenset(problem.unused))
            fix = make_fix(
                f"Remove unused suppression of {', '.join(problem.unused)}", edits, safe=True
            )
        return ctx.finding((m.start, m.end), "; ".join(parts), fix)


@lru_cache(maxsize=256)
def _hint(name: str, known: frozenset[str]) -> str:
    """What to say about an unknown rule name (difflib is slow: remembered per name)."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean `{close[0]}`?)" if close else " (see `otpfix rules`)"
