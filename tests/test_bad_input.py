"""Bad input: one clear line in the report's errors (text and JSON), the file untouched,
the run goes on, exit 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from otpfix import api
from otpfix.types import FileResult, RunOptions
from otpfix.verify import verify_results
from test_cli import DOWN, otpfix

from conftest import require_elixir

BAD = {
    "latin1.ex": ("# caf\xe9\n".encode("latin-1"), "not valid UTF-8 (byte 0xe9 at offset 5)"),
    "binary.ex": (b"\x7fELF\x00\x00\x01", "file looks binary (contains NUL bytes); skipped"),
    "syntax.ex": (
        b"defmodule S do\n  def handle_info({:DOWN, _r, :process, _, _}, s) do\n    {:noreply, s\nend\n",
        "syntax error near line",
    ),
    "huge.ex": (b"# " + b"x" * 3000 + b"\n", "file is larger than the 2000 byte limit; skipped"),
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name, (data, _) in BAD.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "good.ex").write_bytes(DOWN)
    (tmp_path / "empty.ex").write_bytes(b"")
    (tmp_path / "bom_crlf.ex").write_bytes(b"\xef\xbb\xbf" + DOWN.replace(b"\n", b"\r\n"))
    mixed = DOWN.replace(b"do\n", b"do\r\n")
    (tmp_path / "mixed.ex").write_bytes(mixed)
    (tmp_path / "readonly.ex").write_bytes(DOWN)
    os.chmod(tmp_path / "readonly.ex", 0o444)
    return tmp_path


def _snapshot(tree: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tree.iterdir() if p.is_file()}


@pytest.mark.parametrize("command", ["scan", "diff", "fix"])
def test_each_bad_file_is_one_error_and_left_alone(tree: Path, command: str):
    before = _snapshot(tree)
    r = otpfix(command, ".", "--max-file-size", "2000", *(["--format", "json"] if command == "scan" else []), cwd=tree)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    if command == "scan":
        errors = {e["path"]: e["message"] for e in json.loads(r.stdout)["errors"]}
    else:
        errors = {}
        for line in r.stderr.splitlines():
            if ": error: " in line:
                path, message = line.split(": error: ", 1)
                errors[path] = message
    for name, (_, message) in BAD.items():
        assert message in errors.pop(name), name
    if command == "fix":
        assert errors.pop("readonly.ex") == "file is read-only; not written"
    assert errors == {}
    after = _snapshot(tree)
    for name in list(BAD) + ["empty.ex", "readonly.ex"]:
        assert after[name] == before[name], name
    if command == "fix":
        good = after["good.ex"]
        assert b"Process.demonitor(ref, [:flush])" in good
        bom = after["bom_crlf.ex"]
        assert bom.startswith(b"\xef\xbb\xbf") and b"\n" not in bom.replace(b"\r\n", b"")
        # Mixed endings: the inserted line takes the ending of the line it lands on.
        assert b"do\r\n    Process.demonitor(ref, [:flush])\n" in after["mixed.ex"]


def test_text_report_lists_errors(tree: Path):
    r = otpfix("scan", ".", "--max-file-size", "2000", cwd=tree)
    assert r.returncode == 2
    assert "binary.ex\n  error: file looks binary (contains NUL bytes); skipped\n" in r.stdout


def test_unreadable_and_vanishing_files(tmp_path: Path, monkeypatch):
    (tmp_path / "a.ex").write_bytes(DOWN)
    (tmp_path / "gone.ex").write_bytes(DOWN)
    (tmp_path / "locked.ex").write_bytes(DOWN)
    real = api.read_bytes_stat

    def fake_read(path, limit):
        if path.endswith("locked.ex"):
            raise PermissionError(13, "Permission denied")
        if path.endswith("gone.ex"):
            os.unlink(path)
        return real(path, limit)

    monkeypatch.setattr(api, "read_bytes_stat", fake_read)
    run = api.run([str(tmp_path)], RunOptions(fix=True))
    errors = {Path(r.path).name: r.error for r in run.results}
    assert errors == {
        "a.ex": None,
        "gone.ex": "file disappeared during the run",
        "locked.ex": "permission denied",
    }


def test_directory_named_like_elixir_is_walked_not_read(tmp_path: Path):
    (tmp_path / "dir.ex").mkdir()
    (tmp_path / "dir.ex" / "inner.ex").write_bytes(DOWN)
    r = otpfix("scan", ".", "--format", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["errors"] == [] and doc["files"] == 1


def test_verify_drops_a_rewrite_elixir_rejects():
    require_elixir()
    good = b"defmodule V do\n  def f, do: :ok\nend\n"
    broken = b"defmodule V do\n  def f, do: :ok\n"
    results = [
        FileResult(path="a.ex", original=good, fixed=broken, applied=("r",)),
        FileResult(path="b.ex", original=good, fixed=good.replace(b":ok", b":fine"), applied=("r",)),
    ]
    out = verify_results(results)
    assert out[0].fixed is None and out[0].error.startswith("fixes dropped: Elixir cannot parse the fixed file")
    assert "missing terminator: end" in out[0].error
    assert out[1] == results[1]


def test_verify_without_elixir_is_a_clear_error(tmp_path: Path, monkeypatch):
    (tmp_path / "a.ex").write_bytes(DOWN)
    monkeypatch.setenv("PATH", str(Path(os.sys.executable).parent))
    r = otpfix("fix", "--verify", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "--verify: `elixir` is not on PATH" in r.stderr
    assert (tmp_path / "a.ex").read_bytes() == DOWN


def test_verify_passes_real_fixes(tmp_path: Path):
    require_elixir()
    (tmp_path / "a.ex").write_bytes(DOWN)
    r = otpfix("fix", "--verify", ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"Process.demonitor" in (tmp_path / "a.ex").read_bytes()


FAKE_ELIXIR = """#!/bin/sh
# A stand-in for `elixir check.exs MODE MANIFEST`: {verdicts}
{body}
"""


def _fake_elixir(tmp_path: Path, body: str, monkeypatch) -> None:
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    exe = bindir / "elixir"
    exe.write_text(FAKE_ELIXIR.format(verdicts="for the test", body=body))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")


def test_verify_drops_what_elixir_rejects_through_the_cli(tmp_path: Path, monkeypatch):
    (tmp_path / "a.ex").write_bytes(DOWN)
    # Index 0 is the file before the fix, index 1 after: Elixir "rejects" the result.
    _fake_elixir(tmp_path, 'printf "OK\\t0\\nERR\\t1\\tline 3: rejected\\n"', monkeypatch)
    r = otpfix("fix", "--verify", "a.ex", cwd=tmp_path)
    assert r.returncode == 2
    assert "a.ex: error: fixes dropped: Elixir cannot parse the fixed file (line 3: rejected)" in r.stderr
    assert (tmp_path / "a.ex").read_bytes() == DOWN


def test_verify_without_a_verdict_writes_nothing(tmp_path: Path, monkeypatch):
    (tmp_path / "a.ex").write_bytes(DOWN)
    _fake_elixir(tmp_path, "exit 1", monkeypatch)
    r = otpfix("fix", "--verify", "a.ex", cwd=tmp_path)
    assert r.returncode == 2 and "elixir gave no verdict" in r.stderr
    assert (tmp_path / "a.ex").read_bytes() == DOWN


def test_verify_needs_elixir_even_when_nothing_changes(tmp_path: Path, monkeypatch):
    (tmp_path / "clean.ex").write_bytes(b"defmodule C do\nend\n")
    monkeypatch.setenv("PATH", str(Path(os.sys.executable).parent))
    r = otpfix("fix", "--verify", ".", cwd=tmp_path)
    assert r.returncode == 2 and "`elixir` is not on PATH" in r.stderr


def test_verify_with_a_newline_in_a_file_name(tmp_path: Path):
    require_elixir()
    (tmp_path / "odd\nname.ex").write_bytes(DOWN)
    r = otpfix("diff", "--verify", ".", cwd=tmp_path)
    assert r.returncode == 1 and "internal error" not in r.stderr
    assert "Process.demonitor(ref, [:flush])" in r.stdout


def test_bom_is_not_a_column(tmp_path: Path):
    (tmp_path / "bom.ex").write_bytes(b"\xef\xbb\xbf" + DOWN)
    (tmp_path / "plain.ex").write_bytes(DOWN)
    doc = json.loads(otpfix("scan", ".", "--format", "json", cwd=tmp_path).stdout)
    cols = {f["path"]: (f["column"], f["end_column"]) for f in doc["findings"]}
    assert cols["bom.ex"] == cols["plain.ex"]


def test_max_file_size_must_be_positive(tmp_path: Path):
    r = otpfix("scan", ".", "--max-file-size", "-1", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
