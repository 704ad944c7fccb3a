"""`otpfix diff --output FILE`: patches that `git apply` and GNU `patch -p1` accept.

Every patch is read back with unidiff, checked with `git apply --check` and
`patch -p1 --dry-run`, then applied for real with each tool on a copy of the repository;
the result must be byte-identical to what `otpfix fix` writes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import unidiff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from git_helpers import FIXED_LINE, isolate_git, make_repo, module, otpfix, snapshot, write
from otpfix.diff import quote_path, summarize, unified_diff

CRLF = module("Patch.Crlf").replace("\n", "\r\n")
# The change lands within 3 lines of the end: the hunk carries the missing final newline.
SHORT = (
    "defmodule {name} do\n"
    "  def handle_info({{:DOWN, _ref, :process, _pid, _reason}}, state) do\n"
    "    {{:noreply, state}}\n"
    "  end\n"
    "end\n"
)
NO_EOL = SHORT.format(name="Patch.NoEol").rstrip("\n")
CRLF_NO_EOL = SHORT.format(name="Patch.CrlfNoEol").replace("\n", "\r\n").rstrip("\r\n")
FILES = {
    "lib/crlf.ex": CRLF,
    "lib/no_eol.ex": NO_EOL,
    "lib/crlf_no_eol.ex": CRLF_NO_EOL,
    "lib/my app/with space.ex": module("Patch.Space", downs=2),
    "lib/deep/er/nested.ex": module("Patch.Nested"),
    "lib/café.ex": module("Patch.Cafe"),
    "lib/clean.ex": "defmodule Patch.Clean do\nend\n",
}
CHANGED = sorted(p for p in FILES if p != "lib/clean.ex")


HAVE_PATCH = shutil.which("patch") is not None


@pytest.fixture(autouse=True)
def _git_env(monkeypatch, tmp_path):
    isolate_git(monkeypatch, tmp_path)


def test_gnu_patch_is_installed():
    """Without GNU patch the tests below check `git apply` only; this skip makes it visible."""
    if not HAVE_PATCH:
        pytest.skip("GNU patch is not installed: the `patch -p1` halves of these tests did not run")


def tool_commands(patch: Path, *, dry_run: bool) -> dict[str, list[str]]:
    git_apply = ["git", "apply", "--check", str(patch)] if dry_run else ["git", "apply", str(patch)]
    gnu_patch = ["patch", "-p1", "--batch", "--forward", "-i", str(patch)]
    if dry_run:
        gnu_patch.insert(1, "--dry-run")
    tools = {"git apply": git_apply, "patch -p1": gnu_patch}
    if not HAVE_PATCH:
        del tools["patch -p1"]
    return tools


def fixed_tree(tmp_path: Path, source: Path) -> dict[str, bytes]:
    """The working tree as `otpfix fix` leaves it (on a copy)."""
    copy = tmp_path / "fixed-by-otpfix"
    shutil.copytree(source, copy)
    proc = otpfix("fix", cwd=copy)
    assert proc.returncode == 0, proc.stderr.decode()
    return snapshot(copy).files


def check_patch(tmp_path: Path, root: Path, patch: Path, expected_files: list[str]) -> unidiff.PatchSet:
    data = patch.read_bytes()
    patch_set = unidiff.PatchSet(data.decode("utf-8"))
    assert sorted(f.source_file for f in patch_set) == sorted(quote_path("a/" + p) for p in expected_files)
    assert sorted(f.target_file for f in patch_set) == sorted(quote_path("b/" + p) for p in expected_files)
    for f in patch_set:
        assert f.is_modified_file
        assert f.removed == sum(1 for h in f for line in h if line.is_removed)
    for tool, args in tool_commands(patch, dry_run=True).items():
        proc = subprocess.run(args, cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, f"{tool} --check failed: {proc.stdout}{proc.stderr}"
    want = fixed_tree(tmp_path, root)
    for tool in tool_commands(patch, dry_run=False):
        copy = tmp_path / tool.replace(" ", "_")
        shutil.copytree(root, copy)
        proc = subprocess.run(tool_commands(patch, dry_run=False)[tool], cwd=copy,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{tool} failed: {proc.stdout}{proc.stderr}"
        got = {k: v for k, v in snapshot(copy).files.items() if not k.endswith((".orig", ".rej"))}
        assert got == want, f"{tool} produced different bytes than `otpfix fix`"
    return patch_set


def test_patch_applies_with_git_apply_and_patch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, FILES)
    out = tmp_path / "fixes.patch"
    before = snapshot(root)

    # From a subdirectory: the patch paths are still relative to the repository root.
    proc = otpfix("diff", "--output", str(out), ".", cwd=root / "lib")

    assert proc.returncode == 1, proc.stderr.decode()
    assert proc.stdout == b""
    assert snapshot(root) == before  # diff writes nothing but the patch file
    patch_set = check_patch(tmp_path, root, out, CHANGED)
    data = out.read_bytes()
    assert b"--- a/lib/my app/with space.ex\t\n+++ b/lib/my app/with space.ex\t\n" in data
    assert b"+" + FIXED_LINE.replace("\n", "\r\n").encode() in data  # CRLF kept in the lines
    assert data.count(b"\\ No newline at end of file\n") == 2  # one context line each, two files
    summary = f"{len(patch_set)} files, {sum(len(f) for f in patch_set)} hunks, +{patch_set.added} -{patch_set.removed}"
    assert summary == "6 files, 6 hunks, +14 -7"
    assert f"patch written to {out}: {summary}" in proc.stderr.decode()


def test_stdout_is_the_same_patch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, FILES)
    out = tmp_path / "fixes.patch"
    to_file = otpfix("diff", "-o", str(out), cwd=root)
    to_stdout = otpfix("diff", cwd=root)
    assert to_stdout.returncode == to_file.returncode == 1
    assert to_stdout.stdout == out.read_bytes()
    assert "patch: 6 files, 6 hunks, +14 -7" in to_stdout.stderr.decode()


def test_outside_a_repository_paths_are_relative_to_cwd(tmp_path):
    root = tmp_path / "plain"
    write(root, {"lib/x y.ex": module("Plain.XY"), "lib/crlf.ex": CRLF})
    out = tmp_path / "plain.patch"
    proc = otpfix("diff", "--output", str(out), str(root / "lib"), cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    check_patch(tmp_path, root, out, ["lib/crlf.ex", "lib/x y.ex"])


def test_no_change_writes_an_empty_patch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/clean.ex": "defmodule Clean do\nend\n"})
    out = tmp_path / "empty.patch"
    out.write_text("stale content\n")
    proc = otpfix("diff", "--output", str(out), cwd=root)
    assert proc.returncode == 0
    assert out.read_bytes() == b""
    assert "no changes; empty patch written to" in proc.stderr.decode()


def test_unwritable_output_is_an_error(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Unwritable.A")})
    proc = otpfix("diff", "--output", str(tmp_path / "missing-dir" / "x.patch"), cwd=root)
    assert proc.returncode == 2
    assert "cannot write" in proc.stderr.decode()


@pytest.mark.parametrize("name", ['q"uote.ex', "back\\slash.ex", "tab\there.ex", "two  spaces .ex", "dir b/file.ex"])
def test_unusual_file_names(tmp_path, name):
    root = tmp_path / "repo"
    make_repo(root, {f"lib/{name}": module("Odd.Name")})
    out = tmp_path / "odd.patch"
    proc = otpfix("diff", "--output", str(out), cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    check_patch(tmp_path, root, out, [f"lib/{name}"])


def test_quote_path_is_git_c_quoting():
    assert quote_path("a/lib/x.ex") == "a/lib/x.ex"
    assert quote_path("a/lib/my dir/x y.ex") == "a/lib/my dir/x y.ex"
    assert quote_path("a/café.ex") == "a/café.ex"
    assert quote_path('a/q"x.ex') == '"a/q\\"x.ex"'
    assert quote_path("a/t\tx\\.ex") == '"a/t\\tx\\\\.ex"'
    assert quote_path("a/é\x01.ex") == '"a/\\303\\251\\001.ex"'
    assert quote_path("a/\udcff.ex") == '"a/\\377.ex"'  # an undecodable byte (os.fsdecode)


def test_summary_counts_hunks_and_lines():
    before = b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
    after = b"A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk"
    patch = unified_diff("x.ex", before, after)
    s = summarize(patch)
    assert (s.files, s.hunks, s.added, s.removed) == (1, 2, 2, 1)
    assert str(s) == "1 file, 2 hunks, +2 -1"


# -- the diff writer on its own, against both tools ------------------------------------------

EDGE_CASES = {
    "change the last line, no final newline": (b"a\nb\nc", b"a\nb\nC"),
    "append after a last line without newline": (b"a\nb", b"a\nb\nc"),
    "add the final newline": (b"a\nb", b"a\nb\n"),
    "remove the final newline": (b"a\nb\n", b"a\nb"),
    "CRLF, change the last line without newline": (b"a\r\nb\r\nc", b"a\r\nB\r\nc\r\nd"),
    "CRLF insert in the middle": (b"1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n8\r\n", b"1\r\n2\r\n3\r\nx\r\n4\r\n5\r\n6\r\n7\r\n8\r\n"),
    "mixed line endings": (b"a\r\nb\nc\r\n", b"a\r\nb\nX\r\nc\r\n"),
    "lone CR inside a line": (b"a\rb\nc\n", b"a\rb\nc\nd\n"),
    "lines that look like diff syntax": (b"--- a\n+++ b\n@@ -1 +1 @@\n\\ x\n", b"--- a\n+++ b\n@@ -2 +2 @@\n\\ x\n"),
    "two far apart hunks": (b"".join(b"%d\n" % i for i in range(30)), b"X\n" + b"".join(b"%d\n" % i for i in range(1, 29)) + b"Y\n"),
    "UTF-8 and a form feed": ("é\x0cü\nb\n".encode(), "é\x0cü\nB\n".encode()),
}


def apply_both(tmp_path: Path, rel: str, before: bytes, after: bytes) -> None:
    patch = tmp_path / "edge.patch"
    patch.write_bytes(unified_diff(rel, before, after).encode("utf-8"))
    summarize(patch.read_bytes().decode("utf-8"))  # unidiff reads it back
    for tool, args in tool_commands(patch, dry_run=False).items():
        root = tmp_path / tool.replace(" ", "_")
        shutil.rmtree(root, ignore_errors=True)
        (root / rel).parent.mkdir(parents=True)
        (root / rel).write_bytes(before)
        proc = subprocess.run(args, cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, f"{tool}: {proc.stdout}{proc.stderr}"
        assert (root / rel).read_bytes() == after, f"{tool} wrote different bytes"


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_apply_with_both_tools(tmp_path, case):
    before, after = EDGE_CASES[case]
    apply_both(tmp_path, "dir with space/file name.ex", before, after)


_line = st.text(alphabet="ab \t\\+-@\r\"é", max_size=6)
_content = st.builds(
    lambda lines, eols, final: b"".join(
        (l.encode() + (b"\r\n" if crlf else b"\n")) for l, crlf in zip(lines, eols)
    ) + final.encode(),
    st.lists(_line, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
    _line,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_content, after=_content)
def test_any_change_applies_with_both_tools(tmp_path, before, after):
    if before == after:
        return
    apply_both(tmp_path, "a b/c.ex", before, after)
