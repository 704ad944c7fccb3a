"""Finding Elixir files, reading them, and writing them back atomically."""

from __future__ import annotations

import errno
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable, Iterator

from . import globs

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


def discover(
    paths: Iterable[str], exclude: Iterable[str] = (), root: str | None = None
) -> list[Target]:
    """Files named on the command line and the *.ex/*.exs files below named directories.

    Directories are walked without following symbolic links; symlinked files inside a
    walked tree are skipped (they point elsewhere, or are reached twice). Files and
    directories matching an `exclude` glob (relative to `root`, see otpfix/globs.py) are
    left out, named ones included. The result is sorted by display path and has no
    duplicates.
    """
    exclude = tuple(exclude)

    def excluded(path: str) -> bool:
        return bool(exclude) and globs.matches_any(globs.relative_to(path, root), exclude)

    seen: dict[str, Target] = {}
    errors: list[Target] = []
    for arg in paths:
        if not os.path.lexists(arg):
            errors.append(Target(_display(arg), arg, "no such file or directory"))
            continue
        if excluded(arg):
            continue
        if os.path.isdir(arg) and not os.path.islink(arg) or (
            os.path.islink(arg) and os.path.isdir(arg)
        ):
            for real, target in _walk(arg, excluded):
                seen.setdefault(real, target)
            continue
        if os.path.islink(arg) and not os.path.exists(arg):
            errors.append(Target(_display(arg), arg, "broken symbolic link"))
            continue
        target = Target(_display(arg), arg)
        seen.setdefault(os.path.realpath(arg), target)
    targets = sorted(seen.values(), key=lambda t: t.path)
    return sorted(errors + targets, key=lambda t: t.path)


def _walk(root: str, excluded=lambda path: False) -> Iterator[tuple[str, Target]]:
    """(real path, target) for the Elixir files below `root`. Symbolic links are never
    followed: a link to a file or directory inside the tree is skipped silently (its
    target is reached directly); a link that leaves the tree, loops, or is broken becomes
    an error entry. Paths for which `excluded` is true are pruned.

    One scandir per directory and no system call per plain file: links are recognised
    from the directory entry, and the real path of a file is the real path of `root`
    joined with the (link-free) path below it."""
    real_root = os.path.realpath(root)
    stack = [(root, real_root)]
    while stack:
        directory, real_dir = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # an unreadable directory is skipped, as os.walk does
        subdirs = []
        for entry in entries:
            full = entry.path
            try:
                link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows a link, as os.walk classifies entries
            except OSError:
                link, is_dir = entry.is_symlink(), False
            if is_dir:
                if entry.name in SKIP_DIRS or excluded(full):
                    continue
                if link:
                    problem = _link_problem(full, real_root, directory=True)
                    if problem:
                        yield os.path.realpath(full), Target(_display(full), full, problem)
                    continue
                subdirs.append((full, os.path.join(real_dir, entry.name)))
                continue
            if not entry.name.endswith(ELIXIR_SUFFIXES) or excluded(full):
                continue
            if link:
                problem = _link_problem(full, real_root, directory=False)
                if problem:
                    yield os.path.realpath(full), Target(_display(full), full, problem)
                continue
            yield os.path.join(real_dir, entry.name), Target(_display(full), full)
        stack.extend(reversed(subdirs))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _link_problem(link: str, real_root: str, directory: bool) -> str | None:
    try:
        target = os.path.realpath(link, strict=True)
    except OSError:
        return "symbolic link loop or broken link; not followed"
    parent = os.path.realpath(os.path.dirname(link))
    if directory and _inside(parent, target):
        return "symbolic link loop (points to an enclosing directory); not followed"
    if not _inside(target, real_root):
        kind = "directory" if directory else "file"
        return f"symbolic link to a {kind} outside the scanned tree; not followed"
    return None


class FileRefused(OSError):
    """otpfix's own refusal to read or write a file; str() is the user-facing message."""

    def __str__(self) -> str:
        return self.args[0] if self.args else "refused"


def read_bytes(fs_path: str, limit: int) -> bytes:
    """Read a file; raises OSError with a user-facing message on failure."""
    return read_bytes_stat(fs_path, limit)[0]


def read_bytes_stat(fs_path: str, limit: int) -> tuple[bytes, os.stat_result]:
    """`read_bytes`, and the file's stat taken before reading it."""
    st = check_stat(fs_path, limit)
    with open(fs_path, "rb") as fh:
        # The size from the stat: a read of `limit + 1` bytes would allocate that much
        # (10 MB) for every file. A file that grew since is read on, up to `limit + 1`.
        data = fh.read(st.st_size + 1)
        if len(data) > st.st_size:
            data += fh.read(limit + 1 - len(data))
        return data, st


def check_stat(fs_path: str, limit: int) -> os.stat_result:
    """The stat of a file otpfix may read; raises OSError (user-facing message) if not."""
    st = os.stat(fs_path)
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused("not a regular file")
    if st.st_size > limit:
        raise FileRefused(f"file is larger than the {limit} byte limit; skipped")
    return st


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
    given the original's mode (and owner, where allowed), then renamed over it. A symbolic
    link is written through to its target; a file with several hard links is refused.

    When `expected` is given and the file no longer holds those bytes, nothing is written
    (the file changed while otpfix ran). Raises OSError with a user-facing message.
    """
    # A symbolic link named by the user is written through: its target gets the new
    # content and the link stays a link.
    fs_path = os.path.realpath(fs_path)
    st = os.stat(fs_path)
    if not (st.st_mode & 0o222) or not os.access(fs_path, os.W_OK):
        raise FileRefused("file is read-only; not written")
    if st.st_nlink > 1:
        raise FileRefused(
            f"file has {st.st_nlink} hard links and an atomic write would split them; not written"
        )
    if expected is not None:
        with open(fs_path, "rb") as fh:
            if fh.read() != expected:
                raise FileRefused("file changed while otpfix ran; not written")
    directory = os.path.dirname(os.path.abspath(fs_path))
    try:
        tmp = _anonymous_temp(directory, data, st)
    except _NoTmpfile:
        tmp = _named_temp(directory, data, st)
    try:
        os.replace(tmp, fs_path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


class _NoTmpfile(Exception):
    pass


def _finish(fd: int, data: bytes, st: os.stat_result) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        pass


def _anonymous_temp(directory: str, data: bytes, st: os.stat_result) -> str:
    """Write into an unnamed O_TMPFILE file and give it a name only once it is complete,
    so a process killed while writing leaves nothing behind (Linux)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        raise _NoTmpfile
    try:
        fd = os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            raise _NoTmpfile from None
        raise
    try:
        _finish(fd, data, st)
        for _ in range(100):
            tmp = os.path.join(directory, f".otpfix-{secrets.token_hex(6)}.tmp")
            try:
                _link_fd(fd, tmp)
                return tmp
            except FileExistsError:
                continue
        raise FileRefused("could not name a temporary file; not written")
    finally:
        os.close(fd)


def _link_fd(fd: int, path: str) -> None:
    """Give the unnamed file `fd` the name `path` (linkat through /proc, else AT_EMPTY_PATH)."""
    try:
        os.link(f"/proc/self/fd/{fd}", path, follow_symlinks=True)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, at_empty_path = -100, 0x1000
        if libc.linkat(fd, b"", at_fdcwd, os.fsencode(path), at_empty_path) == 0:
            return
        code = ctypes.get_errno()
    except (OSError, AttributeError):
        raise _NoTmpfile from None
    if code == errno.EEXIST:
        raise FileExistsError(code, os.strerror(code), path)
    raise _NoTmpfile


def _named_temp(directory: str, data: bytes, st: os.stat_result) -> str:
    fd, tmp = tempfile.mkstemp(prefix=".otpfix-", suffix=".tmp", dir=directory)
    try:
        _finish(fd, data, st)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
