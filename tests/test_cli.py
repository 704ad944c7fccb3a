"""The CLI contract: commands, exit codes, stdout/stderr split, JSON shape, writes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "legacy_app"

DOWN = b"""defmodule A do
  def handle_info({:DOWN, _ref, :process, pid, _}, state) do
    {:noreply, Map.delete(state, pid)}
  end
end
"""
CLEAN = b"defmodule B do\n  def f, do: :ok\nend\n"


def otpfix(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "otpfix", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.ex").write_bytes(DOWN)
    (tmp_path / "lib" / "b.ex").write_bytes(CLEAN)
    for skipped in ("_build", "deps", ".git", "node_modules"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "x.ex").write_bytes(DOWN)
    (tmp_path / "notes.txt").write_bytes(DOWN)
    return tmp_path


def test_scan_exit_codes_and_output(tree: Path):
    r = otpfix("scan", "lib/b.ex", cwd=tree)
    assert r.returncode == 0 and r.stdout == ""
    r = otpfix("scan", cwd=tree)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "lib/a.ex",
        "  2:19  demonitor-down [*]  this :DOWN handler does not release its monitor ref explicitly",
    ]
    assert "1 finding" in r.stderr


def test_scan_json_shape(tree: Path):
    r = otpfix("scan", ".", "--format", "json", cwd=tree)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc == {
        "version": 1,
        "files": 2,
        "findings": [
            {
                "rule": "demonitor-down",
                "path": "lib/a.ex",
                "line": 2,
                "column": 19,
                "end_line": 2,
                "end_column": 50,
                "message": "this :DOWN handler does not release its monitor ref explicitly",
                "fix": "safe",
            }
        ],
        "errors": [],
    }


def test_missing_path_is_an_error(tree: Path):
    r = otpfix("scan", "nope", "--format", "json", cwd=tree)
    assert r.returncode == 2
    assert json.loads(r.stdout)["errors"] == [{"path": "nope", "message": "no such file or directory"}]
    assert "Traceback" not in r.stderr


def test_unknown_rule_is_a_usage_error(tree: Path):
    r = otpfix("scan", "--select", "no-such-rule", cwd=tree)
    assert r.returncode == 2 and "unknown rule 'no-such-rule'" in r.stderr and r.stdout == ""


def test_ignore_and_select(tree: Path):
    assert otpfix("scan", "--ignore", "demonitor-down", cwd=tree).returncode == 0
    assert otpfix("scan", "--select", "demonitor-down", cwd=tree).returncode == 1


def test_diff_writes_nothing_and_git_applies(tree: Path):
    r = otpfix("diff", cwd=tree)
    assert r.returncode == 1
    assert r.stdout.startswith("diff --git a/lib/a.ex b/lib/a.ex\n--- a/lib/a.ex\n+++ b/lib/a.ex\n")
    assert (tree / "lib" / "a.ex").read_bytes() == DOWN
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / "fix.patch").write_text(r.stdout)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tree, check=True)
    assert b"Process.demonitor(ref, [:flush])" in (tree / "lib" / "a.ex").read_bytes()
    assert otpfix("diff", cwd=tree).returncode == 0


def test_fix_then_diff_is_empty(tree: Path):
    os.chmod(tree / "lib" / "a.ex", 0o640)
    r = otpfix("fix", cwd=tree)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "fixed lib/a.ex (demonitor-down x1)" in r.stderr
    assert stat.S_IMODE(os.stat(tree / "lib" / "a.ex").st_mode) == 0o640
    again = otpfix("diff", cwd=tree)
    assert again.returncode == 0 and again.stdout == ""
    assert [p.name for p in (tree / "lib").iterdir() if p.name.startswith(".otpfix-")] == []


def test_fix_keeps_crlf_and_bom(tmp_path: Path):
    src = b"\xef\xbb\xbf" + DOWN.replace(b"\n", b"\r\n")
    (tmp_path / "a.ex").write_bytes(src)
    assert otpfix("fix", "a.ex", cwd=tmp_path).returncode == 0
    out = (tmp_path / "a.ex").read_bytes()
    assert out.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in out.replace(b"\r\n", b"")
    assert b"    Process.demonitor(ref, [:flush])\r\n" in out


def test_fix_exit_1_when_findings_remain(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(
        b"defmodule A do\n  def handle_info({:DOWN, _ref, :process, _, _}, s) do\n    {:noreply, Map.delete(s, _ref)}\n  end\nend\n"
    )
    r = otpfix("fix", cwd=tmp_path)
    assert r.returncode == 1 and "1 finding left" in r.stderr


def test_bad_files_are_reported_and_others_processed(tmp_path: Path):
    (tmp_path / "bin.ex").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.ex").write_bytes("# caf\xe9\n".encode("latin-1"))
    (tmp_path / "ok.ex").write_bytes(DOWN)
    r = otpfix("fix", cwd=tmp_path)
    assert r.returncode == 2
    assert "bin.ex: error: file looks binary" in r.stderr
    assert "latin.ex: error: not valid UTF-8" in r.stderr
    assert "Traceback" not in r.stderr
    assert b"Process.demonitor" in (tmp_path / "ok.ex").read_bytes()
    assert (tmp_path / "bin.ex").read_bytes() == b"\x00\x01\x02"


def test_rules_and_explain():
    r = otpfix("rules")
    assert r.returncode == 0
    rows = {line.split()[0]: line for line in r.stdout.splitlines()}
    assert rows["demonitor-down"].split()[1] == "fix"
    assert rows["process-dict"].split()[1] != "fix"  # report-only rules have no fix marker
    r = otpfix("explain", "demonitor-down")
    assert r.returncode == 0
    assert "## Example" in r.stdout and "Process.demonitor(ref, [:flush])" in r.stdout
    assert "releases nothing and flushes nothing" in r.stdout
    r = otpfix("explain", "nope")
    assert r.returncode == 2 and r.stdout == ""


def test_examples_diff_applies_and_fix_is_idempotent(tmp_path: Path):
    app = tmp_path / "examples" / "legacy_app"
    shutil.copytree(EXAMPLES, app)
    r = otpfix("diff", "examples/legacy_app", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "p.patch").write_text(r.stdout)
    subprocess.run(["git", "apply", "--check", "p.patch"], cwd=tmp_path, check=True)
    r = otpfix("fix", "examples/legacy_app", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    again = otpfix("diff", "examples/legacy_app", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == ""
