"""Baselines: fingerprints survive unrelated edits; new and stale findings are told apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_cli import otpfix

SERVER = """defmodule Base.Server do
  use GenServer

  def init(state), do: {:ok, state}

  def helper(x), do: x

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end
end
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "server.ex").write_text(SERVER)
    (tmp_path / "lib" / "other.ex").write_text(SERVER.replace("Base.Server", "Base.Other"))
    r = otpfix("scan", "lib", "--write-baseline", ".otpfix-baseline.json", cwd=tmp_path)
    assert r.returncode == 1 and "wrote 2 findings" in r.stderr
    return tmp_path


def scan(repo: Path, *extra: str):
    r = otpfix("scan", "lib", "--baseline", ".otpfix-baseline.json", "--format", "json", *extra, cwd=repo)
    doc = json.loads(r.stdout)
    new = [f for f in doc["findings"] if not f["baselined"]]
    return r, doc, new


def edit(repo: Path, old: str, new: str, name: str = "server.ex") -> None:
    p = repo / "lib" / name
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new))


def test_unchanged_code_is_all_baselined(repo: Path):
    r, doc, new = scan(repo)
    assert r.returncode == 0 and new == [] and len(doc["findings"]) == 2
    assert all(f["baselined"] for f in doc["findings"])
    text = otpfix("scan", "lib", "--baseline", ".otpfix-baseline.json", cwd=repo)
    assert text.returncode == 0 and text.stdout == "" and "2 more in the baseline" in text.stderr


@pytest.mark.parametrize(
    "old,new",
    [
        ("  use GenServer\n", "  use GenServer\n\n  # a new comment\n  @moduledoc false\n\n"),  # lines above
        ("def helper(x), do: x", "def renamed_helper(x), do: x"),  # unrelated function renamed
        (
            "{:DOWN, _ref, :process, pid, _reason}",
            "{\n        :DOWN,\n        _ref,\n        :process,\n        pid,\n        _reason\n      }",
        ),  # reformatted
    ],
    ids=["lines-above", "renamed-unrelated", "reformatted"],
)
def test_unrelated_edits_keep_findings_baselined(repo: Path, old: str, new: str):
    edit(repo, old, new)
    r, _, new_findings = scan(repo)
    assert r.returncode == 0 and new_findings == []


def test_moved_function_stays_baselined(repo: Path):
    text = (repo / "lib" / "server.ex").read_text()
    clause = text[text.index("  def handle_info") : text.index("end\nend") + 4]
    text = text.replace(clause, "")
    text = text.replace("  def init(state)", clause + "\n  def init(state)")
    (repo / "lib" / "server.ex").write_text(text)
    r, _, new = scan(repo)
    assert r.returncode == 0 and new == []


def test_changed_offending_code_is_new(repo: Path):
    edit(repo, "{:DOWN, _ref, :process, pid, _reason}", "{:DOWN, _ref, :process, pid, :normal}")
    r, _, new = scan(repo)
    assert r.returncode == 1 and [f["path"] for f in new] == ["lib/server.ex"]
    assert "1 stale baseline entry" in r.stderr


def test_a_second_identical_finding_is_new(repo: Path):
    # Same module, same function, same text: one baseline entry covers only one of them.
    clause = "  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do\n    {:noreply, Map.delete(state, pid)}\n  end\n"
    edit(repo, clause, clause + "\n" + clause)
    r, _, new = scan(repo)
    assert r.returncode == 1 and len(new) == 1


def test_deleted_file_makes_stale_entries_and_prune_drops_them(repo: Path):
    (repo / "lib" / "other.ex").unlink()
    r, _, new = scan(repo)
    assert r.returncode == 0 and new == []
    assert "1 stale baseline entry" in r.stderr
    r = otpfix("scan", "lib", "--baseline", ".otpfix-baseline.json", "--prune-baseline", cwd=repo)
    assert r.returncode == 0 and "pruned 1 stale entries" in r.stderr
    entries = json.loads((repo / ".otpfix-baseline.json").read_text())["findings"]
    assert [e["path"] for e in entries] == ["lib/server.ex"]
    r, _, _ = scan(repo)
    assert "stale" not in r.stderr


def test_files_outside_the_run_are_not_stale(repo: Path):
    r = otpfix("scan", "lib/server.ex", "--baseline", ".otpfix-baseline.json", cwd=repo)
    assert r.returncode == 0 and "stale" not in r.stderr


def test_bad_baseline_is_a_usage_error(repo: Path):
    (repo / "bad.json").write_text("{nope")
    r = otpfix("scan", "lib", "--baseline", "bad.json", cwd=repo)
    assert r.returncode == 2 and "not a readable otpfix baseline" in r.stderr
    r = otpfix("scan", "lib", "--baseline", "missing.json", cwd=repo)
    assert r.returncode == 2 and "no such file" in r.stderr


MIXED = """defmodule Base.Mixed do
  def f(k) do
    Process.put :k, [a: 1,]
    Process.sleep 1000000
    spawn(fn -> k end)
  end
end
"""


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.ex").write_text(MIXED)
    r = otpfix("scan", "lib", "--write-baseline", "b.json", cwd=tmp_path)
    assert "wrote 2 findings" in r.stderr, r.stderr  # process-dict + raw-spawn
    return tmp_path


def test_partial_runs_neither_report_nor_prune_other_rules_entries(mixed: Path):
    r = otpfix("scan", "lib", "--select", "raw-spawn", "--baseline", "b.json", "--prune-baseline", cwd=mixed)
    assert r.returncode == 0 and "stale" not in r.stderr and "pruned" not in r.stderr
    assert len(json.loads((mixed / "b.json").read_text())["findings"]) == 2


def test_baseline_works_from_a_subdirectory_and_with_absolute_paths(mixed: Path):
    r = otpfix("scan", ".", "--baseline", "../b.json", "--prune-baseline", cwd=mixed / "lib")
    assert r.returncode == 0 and "pruned" not in r.stderr, r.stderr
    r = otpfix("scan", str(mixed / "lib"), "--baseline", str(mixed / "b.json"), cwd=mixed.parent)
    assert r.returncode == 0, r.stdout
    paths = [e["path"] for e in json.loads((mixed / "b.json").read_text())["findings"]]
    assert paths == ["lib/m.ex", "lib/m.ex"]


def test_entries_of_files_that_could_not_be_processed_are_kept(mixed: Path):
    r = otpfix("scan", "lib", "--max-file-size", "10", "--baseline", "b.json", "--prune-baseline", cwd=mixed)
    assert r.returncode == 2 and "pruned" not in r.stderr
    assert len(json.loads((mixed / "b.json").read_text())["findings"]) == 2


def test_mix_format_keeps_findings_baselined(mixed: Path):
    formatted = MIXED.replace("Process.put :k, [a: 1,]", "Process.put(:k, a: 1)").replace(
        "Process.sleep 1000000", "Process.sleep(1_000_000)"
    )
    (mixed / "lib" / "m.ex").write_text(formatted)
    r = otpfix("scan", "lib", "--baseline", "b.json", "--format", "json", cwd=mixed)
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["stale_baseline_entries"] == 0
    assert [f["baselined"] for f in doc["findings"]] == [True, True]


def test_unwritable_baseline_is_a_usage_error(mixed: Path):
    r = otpfix("scan", "lib", "--write-baseline", "no/such/dir/b.json", cwd=mixed)
    assert r.returncode == 2 and "cannot write baseline" in r.stderr and "internal error" not in r.stderr
