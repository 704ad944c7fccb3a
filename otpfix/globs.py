"""Path globs for `exclude` and `[per-path]` (gitignore-like, matched on "/" paths).

A path is matched relative to a root directory (the directory of the `.otpfix.toml`
that names the pattern):

- a pattern without "/" matches any single path component at any depth:
  `generated` matches `lib/generated/x.ex`, `*_pb.ex` matches `lib/a/b_pb.ex`;
- a pattern with a "/" is anchored at the root: `lib/legacy/*.ex`, `test/**`
  (a leading "/" or "./" is allowed and means the same);
- `*` and `?` never cross "/"; `**` matches any number of directories; `[abc]` and
  `[!abc]` are character classes;
- a pattern that matches a directory also matches everything below it (`lib/generated`
  covers `lib/generated/a/b.ex`); a trailing "/" is ignored.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Iterable


class GlobError(ValueError):
    pass


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    raw = pattern.replace("\\", "/").strip()
    if raw.startswith("./"):
        raw = raw[2:]
    anchored = "/" in raw.rstrip("/")
    raw = raw.strip("/")
    if not raw:
        raise GlobError(f"empty glob {pattern!r}")
    body = _translate(raw, pattern)
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + body + "(?:/.*)?$", re.DOTALL)


def _translate(raw: str, original: str) -> str:
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if raw.startswith("**", i):
            before_ok = i == 0 or raw[i - 1] == "/"
            after = i + 2
            if before_ok and after < n and raw[after] == "/":
                out.append("(?:.*/)?")  # "**/": zero or more directories
                i = after + 1
                continue
            if before_ok and after == n:
                out.append(".*")  # trailing "/**" (or a bare "**")
                i = after
                continue
            raise GlobError(f"glob {original!r}: `**` must be a whole path component")
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = raw.find("]", i + 2 if raw[i + 1 : i + 2] in ("!", "]") else i + 1)
            if j == -1:
                raise GlobError(f"glob {original!r}: unclosed `[`")
            inner = raw[i + 1 : j]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def validate(pattern: str) -> None:
    """Raise GlobError when `pattern` is not a usable glob."""
    compile_glob(pattern)


def matches(rel_path: str, pattern: str) -> bool:
    return compile_glob(pattern).match(rel_path) is not None


def matches_any(rel_path: str | None, patterns: Iterable[str]) -> bool:
    """Whether a root-relative path matches one of the globs (the root itself never does)."""
    if rel_path is None or rel_path in ("", "."):
        return False
    return any(matches(rel_path, p) for p in patterns)


def relative_to(path: str, root: str | None) -> str | None:
    """`path` relative to `root` (default: the current directory) with "/" separators,
    or None when it lies outside the root."""
    base = os.path.abspath(root if root is not None else os.curdir)
    try:
        rel = os.path.relpath(os.path.abspath(path), base)
    except ValueError:  # another drive (Windows)
        return None
    rel = rel.replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        return None
    return rel
