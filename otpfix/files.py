"""Finding Elixir files, reading them, and writing them back atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable, Iterator

ELIXIR_SUFFIXES = (".ex", ".exs")
SKIP_DIRS = frozenset({"_build", "deps", ".git", "node_modules", ".elixir_ls", ".otpfix_cache"})


@dataclass(frozen=True)
class Target:
    """A file to process: `path` is how the user reached it (for display), `fs_path` is
    what to open. `error` is set when the argument itself is unusable."""

    path: str
    fs_path: str
    error: str | None = None


def _display(path: str) -> str:
    path = os.path.normpath(path)
    return path.replace(os.sep, "/")


def discover(paths: Iterable[str]) -> list[Target]:
    """Files named on the command line and the *.ex/*.exs files below named directories.

    Directories are walked without following symbolic links; symlinked files inside a
    walked tree are skipped (they point elsewhere, or are reached twice). The result is
    sorted by display path and has no duplicates.
    """
    seen: dict[str, Target] = {}
    errors: list[Target] = []
    for arg in paths:
        if not os.path.lexists(arg):
            errors.append(Target(_display(arg), arg, "no such file or directory"))
            continue
        if os.path.isdir(arg) and not os.path.islink(arg) or (
            os.path.islink(arg) and os.path.isdir(arg)
        ):
            for real, target in _walk(arg):
                seen.setdefault(real, target)
            continue
        if os.path.islink(arg) and not os.path.exists(arg):
            errors.append(Target(_display(arg), arg, "broken symbolic link"))
            continue
        target = Target(_display(arg), arg)
        seen.setdefault(os.path.realpath(arg), target)
    targets = sorted(seen.values(), key=lambda t: t.path)
    return sorted(errors + targets, key=lambda t: t.path)


def _walk(root: str) -> Iterator[tuple[str, Target]]:
    """(real path, target) for every Elixir file below `root`.

    One scandir per directory and no per-file system call: symbolic links (to files or
    directories) are recognised from the directory entry and skipped, and the real path
    of a file is that of `root` joined with the (link-free) path below it."""
    stack = [(root, os.path.realpath(root))]
    while stack:
        directory, real_dir = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = list(it)
        except OSError:
            continue  # unreadable directory: skipped, like os.walk does
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name not in SKIP_DIRS:
                    stack.append((entry.path, os.path.join(real_dir, entry.name)))
            elif entry.name.endswith(ELIXIR_SUFFIXES):
                yield os.path.join(real_dir, entry.name), Target(_display(entry.path), entry.path)


class FileRefused(OSError):
    """otpfix's own refusal to read or write a file; str() is the user-facing message."""

    def __str__(self) -> str:
        return self.args[0] if self.args else "refused"


def read_bytes(fs_path: str, limit: int) -> bytes:
    """Read a file; raises OSError with a user-facing message on failure."""
    st = os.stat(fs_path)
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused("not a regular file")
    if st.st_size > limit:
        raise FileRefused(f"file is larger than the {limit} byte limit; skipped")
    with open(fs_path, "rb") as fh:
        return fh.read(limit + 1)


def describe_os_error(exc: OSError) -> str:
    if isinstance(exc, FileRefused):
        return str(exc)
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file disappeared during the run"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return exc.strerror or str(exc) or type(exc).__name__


def atomic_write(fs_path: str, data: bytes, expected: bytes | None = None) -> None:
    """Replace `fs_path` with `data`: a temporary file in the same directory, fsync'd,
    given the original's mode (and owner, where allowed), then renamed over it.

    When `expected` is given and the file no longer holds those bytes, nothing is written
    (the file changed while otpfix ran). Raises OSError with a user-facing message.
    """
    st = os.stat(fs_path)
    if not (st.st_mode & 0o222) or not os.access(fs_path, os.W_OK):
        raise FileRefused("file is read-only; not written")
    if expected is not None:
        with open(fs_path, "rb") as fh:
            if fh.read() != expected:
                raise FileRefused("file changed while otpfix ran; not written")
    directory = os.path.dirname(os.path.abspath(fs_path))
    fd, tmp = tempfile.mkstemp(prefix=".otpfix-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except (PermissionError, AttributeError):
            pass
        os.replace(tmp, fs_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
