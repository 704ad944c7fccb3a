"""Discovery and atomic writes."""

import os
import stat
from pathlib import Path

import pytest

from otpfix import files


def test_discovery_is_sorted_and_skips_build_dirs(tmp_path: Path):
    for rel in ["b/z.ex", "a/y.exs", "a/x.ex", "_build/a.ex", "deps/d.ex", ".git/g.ex", "node_modules/n.ex", "a/readme.md"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(":ok\n")
    os.chdir(tmp_path)
    assert [t.path for t in files.discover(["."])] == ["a/x.ex", "a/y.exs", "b/z.ex"]
    assert [t.path for t in files.discover(["b", "a/x.ex", "a/x.ex"])] == ["a/x.ex", "b/z.ex"]


def test_discovery_does_not_follow_symlinks_out_of_the_tree(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ex").write_text(":ok\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.ex").write_text(":ok\n")
    os.symlink(outside, tree / "linkdir")
    os.symlink(outside / "secret.ex", tree / "link.ex")
    os.symlink(tree, tree / "loop")
    os.symlink(tree / "real.ex", tree / "alias.ex")  # inside the tree: skipped silently
    os.symlink(tree / "missing.ex", tree / "broken.ex")
    found = {t.path.rsplit("/", 1)[1]: t.error for t in files.discover([str(tree)])}
    assert found == {
        "real.ex": None,
        "broken.ex": "symbolic link loop or broken link; not followed",
        "link.ex": "symbolic link to a file outside the scanned tree; not followed",
        "linkdir": "symbolic link to a directory outside the scanned tree; not followed",
        "loop": "symbolic link loop (points to an enclosing directory); not followed",
    }


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path):
    p = tmp_path / "a.ex"
    p.write_bytes(b"old")
    os.chmod(p, 0o604)
    files.atomic_write(str(p), b"new", expected=b"old")
    assert p.read_bytes() == b"new"
    assert stat.S_IMODE(p.stat().st_mode) == 0o604
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.ex"]


def test_atomic_write_refuses_a_file_changed_meanwhile(tmp_path: Path):
    p = tmp_path / "a.ex"
    p.write_bytes(b"changed")
    with pytest.raises(OSError, match="changed while otpfix ran"):
        files.atomic_write(str(p), b"new", expected=b"old")
    assert p.read_bytes() == b"changed"


def test_atomic_write_refuses_read_only(tmp_path: Path):
    p = tmp_path / "a.ex"
    p.write_bytes(b"old")
    os.chmod(p, 0o444)
    with pytest.raises(OSError, match="read-only"):
        files.atomic_write(str(p), b"new")
    assert p.read_bytes() == b"old"


def test_failure_during_write_keeps_the_original(tmp_path: Path, monkeypatch):
    p = tmp_path / "a.ex"
    p.write_bytes(b"old")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        files.atomic_write(str(p), b"new" * 1000)
    assert p.read_bytes() == b"old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.ex"]


def test_process_killed_while_writing_leaves_original_and_no_temp(tmp_path: Path):
    import signal
    import subprocess
    import sys

    p = tmp_path / "a.ex"
    p.write_bytes(b"original\n")
    code = (
        "import os, signal\n"
        "from otpfix import files\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"files.atomic_write({str(p)!r}, b'new content' * 100000)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode == -signal.SIGKILL
    assert p.read_bytes() == b"original\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.ex"]


def test_atomic_write_through_a_symlink_keeps_the_link(tmp_path: Path):
    target = tmp_path / "real.ex"
    target.write_bytes(b"old")
    link = tmp_path / "link.ex"
    os.symlink(target, link)
    files.atomic_write(str(link), b"new", expected=b"old")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_atomic_write_refuses_hard_linked_files(tmp_path: Path):
    a = tmp_path / "a.ex"
    a.write_bytes(b"old")
    os.link(a, tmp_path / "b.ex")
    with pytest.raises(OSError, match="2 hard links"):
        files.atomic_write(str(a), b"new")
    assert a.read_bytes() == b"old" and (tmp_path / "b.ex").read_bytes() == b"old"


def test_named_temp_fallback_never_looks_like_source(tmp_path: Path):
    # Without O_TMPFILE the fallback writes a named `.otpfix-*.tmp`; the original is intact
    # whatever happens, and the temporary name never ends in .ex/.exs (never scanned).
    p = tmp_path / "a.ex"
    p.write_bytes(b"old")
    tmp = files._named_temp(str(tmp_path), b"partial", os.stat(p))
    assert tmp.endswith(".tmp") and p.read_bytes() == b"old"
    assert [t.path for t in files.discover([str(tmp_path)])] == [f"{tmp_path}/a.ex".replace(os.sep, "/")]


def test_read_bytes_stat_reads_a_file_that_grew_since_its_stat(tmp_path, monkeypatch):
    """The read is sized from the stat taken before it; a file that grew in between is
    read on, up to `limit + 1` bytes (what a read of `limit + 1` gave)."""
    from otpfix import files

    p = tmp_path / "a.ex"
    p.write_bytes(b"x" * 100)
    old = files.os.stat(p)
    p.write_bytes(b"y" * 5000)
    monkeypatch.setattr(files, "check_stat", lambda path, limit: old)
    data, st = files.read_bytes_stat(str(p), 10_000)
    assert data == b"y" * 5000 and st is old
    data, _ = files.read_bytes_stat(str(p), 1_000)
    assert data == b"y" * 1_001  # over the limit: the caller sees limit + 1 bytes
    p.write_bytes(b"z" * 10)  # shrank
    data, _ = files.read_bytes_stat(str(p), 10_000)
    assert data == b"z" * 10
