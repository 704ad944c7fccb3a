"""Golden cases: discovery, running one case, rendering its findings.

Layout, per rule: `golden/<rule-id>/`
- `<case>.ex` (or `.exs`): the input. A case may also be a directory `<case>/` holding
  several inputs (for rules that read facts across files); paths are then relative to it.
- `<case>.expected.ex`: the output of fixing the input with only this rule. Absent: the
  input must come back unchanged.
- `<case>.findings`: the exact findings, one per line, `PATH:LINE:COL: FIX MESSAGE` with FIX
  one of `safe`, `unsafe`, `-`. Absent: no finding at all when there is no expected file,
  at least one fixable finding when there is.
- `<case>.toml`: optional; `[options]` are the rule's options for this case;
  `also-select = ["rule-id", ...]` runs those rules too (their findings and fixes are part
  of the case: for rules about other rules, like unused-ignore);
  `compile = false` skips the Elixir compile check (the parse check still runs) and
  `parse = false` skips both (inputs with deliberate syntax errors).
In a directory case the expected files sit beside their inputs (`lib/a.expected.ex`) and
`case.findings` / `case.toml` sit at its root.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otpfix import api
from otpfix.types import FileResult, RunOptions

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "golden"
SUFFIXES = (".ex", ".exs")


def _is_expected(name: str) -> bool:
    return name.endswith((".expected.ex", ".expected.exs"))


def expected_name(name: str) -> str:
    stem, ext = os.path.splitext(name)
    return f"{stem}.expected{ext}"


@dataclass
class Case:
    rule: str
    name: str
    root: Path  # the case directory (dir case) or the rule directory (file case)
    inputs: list[str]  # paths relative to root
    findings_file: Path
    toml_file: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.name}"

    def expected_path(self, rel: str) -> Path:
        return self.root / expected_name(rel)

    def expected(self, rel: str) -> bytes | None:
        p = self.expected_path(rel)
        return p.read_bytes() if p.exists() else None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.config.get("options", {}))

    @property
    def check_parse(self) -> bool:
        return self.config.get("parse", True)

    @property
    def check_compile(self) -> bool:
        return self.check_parse and self.config.get("compile", True)


def discover() -> list[Case]:
    cases: list[Case] = []
    if not GOLDEN.is_dir():
        return cases
    for rule_dir in sorted(p for p in GOLDEN.iterdir() if p.is_dir()):
        rule = rule_dir.name
        for entry in sorted(rule_dir.iterdir()):
            if entry.is_dir():
                inputs = sorted(
                    str(p.relative_to(entry)).replace(os.sep, "/")
                    for p in entry.rglob("*")
                    if p.is_file() and p.name.endswith(SUFFIXES) and not _is_expected(p.name)
                )
                case = Case(rule, entry.name, entry, inputs, entry / "case.findings", entry / "case.toml")
            elif entry.name.endswith(SUFFIXES) and not _is_expected(entry.name):
                stem = entry.name.rsplit(".", 1)[0]
                case = Case(
                    rule,
                    stem,
                    rule_dir,
                    [entry.name],
                    rule_dir / f"{stem}.findings",
                    rule_dir / f"{stem}.toml",
                )
            else:
                continue
            if case.toml_file.exists():
                case.config = tomllib.loads(case.toml_file.read_text())
            cases.append(case)
    return cases


def run_case(case: Case, sources: dict[str, bytes] | None = None) -> list[FileResult]:
    if sources is None:
        sources = {rel: (case.root / rel).read_bytes() for rel in case.inputs}
    options = RunOptions(
        select=(case.rule, *case.config.get("also-select", ())),
        fix=True,
        rule_options={case.rule: case.options} if case.options else {},
    )
    return api.run_sources(sources, options).results


def render_findings(results: list[FileResult]) -> str:
    lines = []
    for r in results:
        for f in r.findings:
            fix = f.fix.applicability.value if f.fix else "-"
            lines.append(f"{f.path}:{f.span.line}:{f.span.column}: {fix} {f.message}")
    return "".join(line + "\n" for line in lines)
