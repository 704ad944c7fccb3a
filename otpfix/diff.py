"""Unified diffs with a/ and b/ headers that `git apply` and `patch -p1` accept.

Lines are split on "\\n" only, so a CRLF file diffs with its "\\r" kept on every line (both
tools then match and write CRLF), a missing final newline gets the standard
"\\ No newline at end of file" marker, and file names are written the way `git diff` writes
them: C-quoted when they hold a double quote, a backslash or a control character, and with a
tab after the name on the `---`/`+++` lines when they hold a space (GNU patch otherwise stops
the name at the first space). Patch paths are relative to the repository root (see
`patch_paths`), so the patch applies from there.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Iterable, Mapping

from .types import FileResult

NO_NEWLINE = "\\ No newline at end of file\n"

_C_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def _lines(data: bytes) -> list[str]:
    # Split on "\n" only: a "\r" stays part of its line (CRLF files diff as CRLF, which is
    # what git apply and GNU patch expect), and so do other characters that str.splitlines
    # would treat as line breaks (\x0b, \x1c, U+2028...).
    text = data.decode("utf-8")
    out = text.split("\n")
    last = out.pop()
    lines = [line + "\n" for line in out]
    if last:
        lines.append(last)
    return lines


def _emit(prefix: str, line: str) -> str:
    if line.endswith("\n"):
        return prefix + line
    return prefix + line + "\n" + NO_NEWLINE


def quote_path(path: str) -> str:
    """A path as git writes it in patch headers: C-quoted ("...", \\t, \\", \\\\, octal for
    other control bytes) when it holds a control character, a double quote or a backslash;
    otherwise as is (spaces and non-ASCII UTF-8 stay unquoted, as with core.quotePath=false).
    Both `git apply` and GNU patch read this form."""
    undecodable = any("\udc80" <= c <= "\udcff" for c in path)  # os.fsdecode'd bytes
    raw = path.encode("utf-8", "surrogateescape")
    if not undecodable and not any(b < 0x20 or b == 0x7F or b in (0x22, 0x5C) for b in raw):
        return path
    out = []
    for b in raw:
        if b in _C_ESCAPES:
            out.append(_C_ESCAPES[b])
        elif b < 0x20 or b == 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b) if b < 0x80 else f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def unified_diff(path: str, before: bytes, after: bytes, context: int = 3) -> str:
    if before == after:
        return ""
    a, b = _lines(before), _lines(after)
    old, new = quote_path("a/" + path), quote_path("b/" + path)
    # Like git: a tab after a name holding a space ends it for tools that would otherwise
    # stop at the space (GNU patch) or read a timestamp after it.
    tab = "\t" if " " in path else ""
    out = [f"--- {old}{tab}\n", f"+++ {new}{tab}\n"]
    if " b/" not in path:
        # The git header; with " b/" inside the name it cannot be split into its two names
        # by any reader but git's own heuristics (unidiff reads it wrongly), and both tools
        # apply the plain `---`/`+++` form just as well.
        out.insert(0, f"diff --git {old} {new}\n")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2 = group[0][1], group[-1][2]
        j1, j2 = group[0][3], group[-1][4]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out.extend(_emit(" ", line) for line in a[a1:a2])
                continue
            out.extend(_emit("-", line) for line in a[a1:a2])
            out.extend(_emit("+", line) for line in b[b1:b2])
    return "".join(out)


def _range(start: int, stop: int) -> str:
    length = stop - start
    first = start + 1 if length else start
    return f"{first}" if length == 1 else f"{first},{length}"


def run_diff(results: Iterable[FileResult], paths: Mapping[str, str] | None = None) -> str:
    """The patch for every changed result. `paths` maps a result's display path to the
    path to write in the patch (see `patch_paths`); unmapped paths are written as they are."""
    paths = paths or {}
    return "".join(
        unified_diff(paths.get(r.path, r.path), r.original or b"", r.fixed or b"")
        for r in results
        if r.changed
    )


def find_patch_root(cwd: str | None = None) -> str:
    """The top of the git working tree holding `cwd` (so that a patch applies from the
    repository root, like `git diff` output), else `cwd` itself."""
    cwd = os.path.abspath(cwd or os.getcwd())
    try:
        import git  # gitpython; imported here so that scan/fix do not pay for it

        repo = git.Repo(cwd, search_parent_directories=True)
        try:
            top = repo.working_tree_dir
        finally:
            repo.close()
        if top:
            return os.path.realpath(str(top))
    except Exception:  # not a repository, bare, git missing: fall back to cwd
        pass
    return os.path.realpath(cwd)


def patch_paths(fs_paths: Mapping[str, str], root: str) -> dict[str, str]:
    """{display path: path relative to `root`, "/"-separated} for every file below `root`.

    The directory part is resolved (symbolic links, "..") but not the file name, so a
    patch names the file the user named. Files outside `root` keep their display path."""
    out: dict[str, str] = {}
    root = os.path.realpath(root)
    for display, fs_path in fs_paths.items():
        full = os.path.abspath(fs_path)
        resolved = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
        rel = os.path.relpath(resolved, root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            continue
        out[display] = rel.replace(os.sep, "/")
    return out


@dataclass(frozen=True)
class PatchSummary:
    files: int
    hunks: int
    added: int
    removed: int

    def __str__(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'s' * (count != 1)}"

        return f"{n(self.files, 'file')}, {n(self.hunks, 'hunk')}, +{self.added} -{self.removed}"


def summarize(patch: str) -> PatchSummary:
    """Read a patch back with unidiff: files, hunks, lines added and removed.

    Raises unidiff.UnidiffParseError when the patch is malformed."""
    from unidiff import PatchSet

    patch_set = PatchSet(patch)
    return PatchSummary(
        files=len(patch_set),
        hunks=sum(len(f) for f in patch_set),
        added=patch_set.added,
        removed=patch_set.removed,
    )
