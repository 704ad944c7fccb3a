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
    assert [t.path for t in files.discover([str(tree)])] == [f"{tree}/real.ex".replace(os.sep, "/")]


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
