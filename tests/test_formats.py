"""Report formats: SARIF 2.1.0 (schema-validated, fixes that apply), GitHub workflow
commands, the grouped text report and its colours, JSON version 1."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from otpfix import api, report
from otpfix.cli import app
from otpfix.edits import apply_fixes
from otpfix.types import Applicability, Edit, FileResult, Finding, Fix, RunOptions, Span
from scale_helpers import generate_tree, register_test_rule

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
RULES = ("demonitor-down", "test-remote-calls")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    register_test_rule(monkeypatch)
    generate_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(doc: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc), key=str)
    assert errors == [], errors[0].message


def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(x) for x in lines[: line - 1]) + column - 1


def apply_sarif_fix(original: bytes, fix: dict) -> bytes:
    """Apply a SARIF fix the way a consumer does: text regions in code points, a BOM not
    counted, each deletedRegion relative to the unmodified file."""
    bom = original.startswith(b"\xef\xbb\xbf")
    text = original.decode("utf-8-sig")
    lines = text.split("\n")
    lines = [x + "\n" for x in lines[:-1]] + [lines[-1]]
    (change,) = fix["artifactChanges"]
    spans = []
    for rep in change["replacements"]:
        r = rep["deletedRegion"]
        start = _offset(lines, r["startLine"], r["startColumn"])
        end = _offset(lines, r["endLine"], r["endColumn"])
        spans.append((start, end, rep.get("insertedContent", {}).get("text", "")))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def test_sarif_is_valid_and_its_fixes_apply(tree):
    run = api.run(["lib", "test"], RunOptions(select=RULES))
    doc = json.loads(report.render_sarif(run.results, run.rules))
    validate(doc)
    (sarif_run,) = doc["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
    results = sarif_run["results"]
    findings = run.findings
    assert len(results) == len(findings)
    by_path = {r.path: r for r in run.results}
    checked = set()
    for res, finding in zip(results, findings):
        assert res["ruleId"] == finding.rule
        assert rules[res["ruleIndex"]]["id"] == finding.rule
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == finding.path
        if finding.fix is None:
            assert "fixes" not in res
            continue
        original = by_path[finding.path].original
        assert original is not None
        (fix,) = res["fixes"]
        expected = apply_fixes(original, [finding.fix]).data
        assert apply_sarif_fix(original, fix) == expected, finding.path
        checked.add(finding.path)
    # CRLF, BOM and non-ASCII files were among those whose fixes applied exactly.
    assert {"lib/crlf.ex", "lib/bom.ex", "lib/unicode.ex"} <= checked
    assert len(checked) > 40
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert any("UTF-8" in n["message"]["text"] for n in notes)


def test_sarif_region_columns_skip_the_bom(tmp_path):
    src = "\ufeffdefmodule B do\n  def handle_info({:DOWN, _r, :process, p, _}, s), do: {:noreply, s}\nend\n"
    (tmp_path / "b.ex").write_text(src)
    (tmp_path / "c.ex").write_text(src[1:])
    run = api.run([str(tmp_path)], RunOptions())
    doc = json.loads(report.render_sarif(run.results, run.rules))
    validate(doc)
    a, b = doc["runs"][0]["results"]
    assert a["locations"][0]["physicalLocation"]["region"] == b["locations"][0]["physicalLocation"]["region"]
    assert a["fixes"][0]["artifactChanges"][0]["replacements"] == b["fixes"][0]["artifactChanges"][0]["replacements"]


def test_sarif_without_findings_is_valid(tmp_path):
    (tmp_path / "a.ex").write_text("defmodule A do\nend\n")
    run = api.run([str(tmp_path)], RunOptions())
    doc = json.loads(report.render_sarif(run.results, run.rules))
    validate(doc)
    assert doc["runs"][0]["results"] == []


def _finding(path: str, message: str, fix: bool = False) -> Finding:
    f = Fix("t", (Edit(0, 1, "x"),), Applicability.SAFE) if fix else None
    return Finding("some-rule", path, Span(0, 5, 3, 7, 4, 2), message, f)


def test_github_format_escapes_data_and_properties():
    results = [
        FileResult(path="lib/a,b:c.ex", findings=(_finding("lib/a,b:c.ex", "50% done\r\nnext: line, more"),)),
        FileResult(path="lib/d.ex", findings=(_finding("lib/d.ex", "fixable", fix=True),)),
        FileResult(path="lib/e.ex", error="not valid\nUTF-8"),
    ]
    assert report.render_github(results).splitlines() == [
        "::warning file=lib/a%2Cb%3Ac.ex,line=3,col=7,endLine=4,endColumn=2,title=some-rule"
        "::50%25 done%0D%0Anext: line, more",
        "::warning file=lib/d.ex,line=3,col=7,endLine=4,endColumn=2,title=some-rule"
        "::fixable (fixable: otpfix fix)",
        "::error file=lib/e.ex,title=otpfix::not valid%0AUTF-8",
    ]


def test_text_report_groups_by_file():
    results = [
        FileResult(path="lib/a.ex", findings=(_finding("lib/a.ex", "one", fix=True), _finding("lib/a.ex", "two"))),
        FileResult(path="lib/b.ex"),
        FileResult(path="lib/c.ex", error="permission denied"),
    ]
    assert report.render_text(results) == (
        "lib/a.ex\n"
        "  3:7  some-rule [*]  one\n"
        "  3:7  some-rule      two\n"
        "\n"
        "lib/c.ex\n"
        "  error: permission denied\n"
    )
    coloured = report.render_text(results, color=True)
    assert "\x1b[" in coloured
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == report.render_text(results)


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert report.use_color(_Stream(True))
    assert not report.use_color(_Stream(False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not report.use_color(_Stream(True))


def test_cli_formats(tree):
    runner = CliRunner()
    for fmt in ("text", "json", "sarif", "github"):
        res = runner.invoke(app, ["scan", "lib", "--format", fmt, "--no-cache", "--select", ",".join(RULES)])
        assert res.exit_code == 2, res.output  # lib/latin1.ex cannot be read as UTF-8
        assert "\x1b[" not in res.stdout
        if fmt == "json":
            assert json.loads(res.stdout)["version"] == 1
        if fmt == "sarif":
            validate(json.loads(res.stdout))
        if fmt == "github":
            assert all(line.startswith(("::warning ", "::error ")) for line in res.stdout.splitlines())


def test_progress_bar_only_on_a_terminal_for_large_runs(monkeypatch):
    import sys

    opts = RunOptions(progress=True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert api._progress(opts, api.PROGRESS_MIN_FILES + 1).enabled
    assert not api._progress(opts, api.PROGRESS_MIN_FILES).enabled
    assert not api._progress(RunOptions(progress=False), 10_000).enabled
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not api._progress(opts, 10_000).enabled


def test_progress_bar_draws_on_stderr(tmp_path, monkeypatch):
    """Forced on (as on a terminal): the run works, results are the same, and nothing of
    the bar reaches stdout."""
    import io
    import sys

    for i in range(api.PROGRESS_MIN_FILES + 5):
        (tmp_path / f"m{i}.ex").write_text(f"defmodule M{i} do\nend\n")
    err = io.StringIO()
    err.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", err)
    one = ("demonitor-down",)
    out = api.run([str(tmp_path)], RunOptions(select=one, progress=True, jobs=2))
    assert len(out.results) == api.PROGRESS_MIN_FILES + 5
    assert out.results == api.run([str(tmp_path)], RunOptions(select=one)).results
    assert f"{api.PROGRESS_MIN_FILES + 5}/{api.PROGRESS_MIN_FILES + 5}" in err.getvalue()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_sarif_replacements_on_line_one_with_wide_characters(bom, newline):
    original = bom + "é = :ü; x = 1".encode() + newline + b"y = 2" + newline
    body = len(bom)
    start = body + len("é = :ü; ".encode())
    fix = Fix("t", (Edit(start, start + 1, "value\nz"), Edit(len(original) - 1 - len(newline), len(original) - 1 - len(newline) + 1, "3")))
    finding = Finding("some-rule", "a.ex", Span(start, start + 1, 1, 9, 1, 10), "m", fix)
    doc = json.loads(report.render_sarif([FileResult(path="a.ex", findings=(finding,), original=original)], []))
    validate(doc)
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"]["startColumn"] == 9
    assert apply_sarif_fix(original, res["fixes"][0]) == apply_fixes(original, [fix]).data
