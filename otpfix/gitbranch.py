"""Branch mode: `otpfix fix --branch NAME` turns findings into a branch, one commit per rule.

How it works (and why the user's checkout is never touched):
- The fixes are computed from the *committed* content of the base revision (HEAD, or
  `--base REV`): the engine reads the blobs, exactly the bytes git stores. With
  `core.autocrlf` or `eol` attributes the blobs hold LF while the working tree holds CRLF;
  fixing the blobs and committing the result keeps the repository's normalised form, and
  git converts the new lines on checkout like any other line.
- Rules run one at a time in id order (the registry's order), each on the content the
  previous rule's commit produced, so every commit is exactly one rule's change.
- Commits are built from objects only: new blobs, the trees on the path to each changed
  file (siblings and unchanged subtrees are reused byte for byte; only existing entries
  change, so trees stay canonically sorted), and a commit object made by gitpython
  (`Commit.create_from_tree`). Blobs and trees are written with one `git unpack-objects`
  per commit; reads are one-shot `git cat-file --batch` runs. No index file, no
  worktree, no checkout: the working tree, the index, HEAD, the current branch and the
  stash are never written (the dirty check runs `git status` with GIT_OPTIONAL_LOCKS=0,
  so it does not even refresh the index).
- The branch ref is written last, with one `git update-ref` that checks the old value
  (absent, or the value seen at the start with --force). An interruption before that
  point leaves no branch, only unreachable objects that `git gc` removes; from that
  point on, interrupts are held back (inside `interrupts_as_keyboard_interrupt`) until
  the report of the created branch has been printed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import signal
import struct
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Mapping, Sequence

from . import __version__, api, registry
from .diff import quote_path
from .files import ELIXIR_SUFFIXES, SKIP_DIRS
from .types import Applicability, FileResult, Finding, RunOptions

#: "under 72 characters"
SUBJECT_MAX = 71
ZERO_SHA = "0" * 40
_STOPWORDS = frozenset(
    "a an the in on of to for and or with at by from into as when where that which".split()
)


class BranchError(Exception):
    """A refusal or failure with a one-line (or short) message for the user; exit code 2."""

    exit_code = 2


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    path: str
    fixed: int  # fixes of the rule applied in this file
    left: int  # findings of the rule still reported in this file after its commit


@dataclass(frozen=True)
class RuleCommit:
    rule: str
    summary: str
    sha: str
    subject: str
    message: str
    files: tuple[FileChange, ...]
    applicability: str  # "safe", "unsafe" or "safe and unsafe"

    @property
    def fixed(self) -> int:
        return sum(f.fixed for f in self.files)


@dataclass(frozen=True)
class DirtyState:
    modified: int
    untracked: int


@dataclass
class BranchResult:
    branch: str
    base_sha: str
    base_label: str  # how the base was named: "main", "HEAD (detached)", "v1.2"
    files_scanned: int = 0
    commits: list[RuleCommit] = field(default_factory=list)
    created: bool = False
    existing: str | None = None  # tip of an existing branch NAME (--force)
    replaced: str | None = None  # previous tip when --force replaced an existing branch
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, note)
    warnings: list[str] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    dirty: DirtyState | None = None

    @property
    def tip(self) -> str | None:
        return self.commits[-1].sha if self.commits else None


# -- small helpers -------------------------------------------------------------------------


def commit_subject(rule_id: str, summary: str) -> str:
    """`otpfix: <rule-id>: <summary>`, the summary shortened at a word boundary (with
    "...") so that the subject stays under 72 characters."""
    summary = " ".join(summary.split()).rstrip(".")
    prefix = f"otpfix: {rule_id}: "
    if len(prefix) + len(summary) <= SUBJECT_MAX:
        return prefix + summary
    budget = SUBJECT_MAX - len(prefix) - len("...")
    kept: list[str] = []
    for word in summary.split(" "):
        if len(" ".join(kept + [word])) > budget:
            break
        kept.append(word)
    while kept and kept[-1].lower().strip(",;:") in _STOPWORDS:
        kept.pop()
    text = " ".join(kept).rstrip(",;:")
    if not text:
        return f"otpfix: {rule_id}"
    return prefix + text + "..."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def commit_message(rule: type, changes: Sequence[FileChange], applicability: str) -> tuple[str, str]:
    """(subject, full message) of the commit for one rule."""
    subject = commit_subject(rule.id, rule.summary)
    fixed = sum(c.fixed for c in changes)
    lines = [
        subject,
        "",
        rule.summary.rstrip(".") + ".",
        "",
        f"{_plural(fixed, 'finding')} fixed in {_plural(len(changes), 'file')} "
        f"({applicability} fixes; see `otpfix explain {rule.id}`):",
    ]
    for c in changes:
        line = f"- {quote_path(c.path)}: {c.fixed}"
        if c.left:
            line += f" ({c.left} more left unfixed)"
        lines.append(line)
    lines += ["", f"Otpfix-Rule: {rule.id}", f"Otpfix-Version: {__version__}", ""]
    return subject, "\n".join(lines)


def review_notes(rule: type) -> str:
    """What a reviewer must check for a rule, from the text `otpfix explain` prints: its
    `## Fix safety` section, then `## What it does not do` and `## Review` when present."""
    sections = _doc_sections(rule.documentation())
    parts = []
    for key, title in (("fix safety", ""), ("what it does not do", "What it does not do"),
                       ("review", "Review")):
        if sections.get(key):
            parts.append(f"*{title}:* {sections[key]}" if title else sections[key])
    return "\n\n".join(parts).strip()


def _doc_sections(doc: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        m = re.match(r"^##\s+(.*?)\s*$", line)
        if m:
            current = out.setdefault(m.group(1).lower(), [])
            continue
        if current is not None:
            current.append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


# -- raw git objects -----------------------------------------------------------------------

Entry = tuple[bytes, bytes, bytes]  # (mode, name, 20-byte sha) exactly as stored


def _parse_tree(data: bytes) -> list[Entry]:
    entries: list[Entry] = []
    i = 0
    while i < len(data):
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        entries.append((data[i:sp], data[sp + 1 : nul], data[nul + 1 : nul + 21]))
        i = nul + 21
    return entries


_PACK_TYPES = {"commit": 1, "tree": 2, "blob": 3}


def _pack(objects: Sequence[tuple[str, bytes]]) -> bytes:
    """A version 2 pack of whole (undeltified) objects, as `git unpack-objects` reads it."""
    out = bytearray(b"PACK" + struct.pack(">II", 2, len(objects)))
    for kind, data in objects:
        size = len(data)
        byte = (_PACK_TYPES[kind] << 4) | (size & 0x0F)
        size >>= 4
        while size:
            out.append(byte | 0x80)
            byte = size & 0x7F
            size >>= 7
        out.append(byte)
        out += zlib.compress(data)
    out += hashlib.sha1(out, usedforsecurity=False).digest()
    return bytes(out)


def _is_tree(mode: bytes) -> bool:
    return mode == b"40000" or mode == b"040000"


def _is_regular_file(mode: bytes) -> bool:
    return mode.startswith(b"100")


class ObjectStore:
    """Reading and writing raw objects with git, through gitpython's command runner.

    Reads are batched into one-shot `git cat-file --batch` runs (one per directory level
    of the walk, one for all blobs) rather than gitpython's persistent cat-file process:
    no process outlives the run, and an interrupt cannot leave a half-read pipe behind.
    Writes are staged and written with one `git unpack-objects` per commit."""

    def __init__(self, repo) -> None:
        self.repo = repo
        self._trees: dict[bytes, list[Entry]] = {}
        self._staged: dict[bytes, tuple[str, bytes]] = {}

    def _batch(self, option: str, shas: Sequence[bytes]) -> bytes:
        with tempfile.TemporaryFile() as fh:
            fh.write(b"".join(sha.hex().encode() + b"\n" for sha in shas))
            fh.seek(0)
            return self.repo.git.execute(
                ["git", "cat-file", option], istream=fh,
                stdout_as_string=False, strip_newline_in_stdout=False,
            )

    def read_many(self, shas: Sequence[bytes]) -> dict[bytes, tuple[str, bytes]]:
        """{sha: (type, content)}, in one `git cat-file --batch`."""
        shas = list(dict.fromkeys(shas))
        if not shas:
            return {}
        out = self._batch("--batch", shas)
        found: dict[bytes, tuple[str, bytes]] = {}
        pos = 0
        for sha in shas:
            eol = out.index(b"\n", pos)
            header = out[pos:eol].split(b" ")
            if len(header) != 3:
                raise BranchError(f"object {sha.hex()} is missing from the repository")
            size = int(header[2])
            found[sha] = (header[1].decode(), out[eol + 1 : eol + 1 + size])
            pos = eol + 1 + size + 1
        return found

    def sizes(self, shas: Sequence[bytes]) -> dict[bytes, int]:
        """{sha: size}, in one `git cat-file --batch-check`."""
        shas = list(dict.fromkeys(shas))
        if not shas:
            return {}
        lines = self._batch("--batch-check", shas).splitlines()
        return {sha: int(line.split(b" ")[2]) for sha, line in zip(shas, lines)}

    def load_trees(self, shas: Sequence[bytes]) -> None:
        missing = [s for s in shas if s not in self._trees]
        for sha, (kind, data) in self.read_many(missing).items():
            if kind != "tree":
                raise BranchError(f"object {sha.hex()} is a {kind}, expected a tree")
            self._trees[sha] = _parse_tree(data)

    def tree(self, binsha: bytes) -> list[Entry]:
        if binsha not in self._trees:
            self.load_trees([binsha])
        return self._trees[binsha]

    def stage(self, kind: str, data: bytes) -> bytes:
        """The sha of a new object; the object is written by the next `flush`."""
        binsha = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)) + data, usedforsecurity=False).digest()
        if binsha not in self._staged:
            self._staged[binsha] = (kind, data)
            if kind == "tree":
                self._trees[binsha] = _parse_tree(data)
        return binsha

    def flush(self) -> None:
        """Write every staged object with one `git unpack-objects` (git's own code writes
        them, with the repository's settings; objects already present are skipped)."""
        if not self._staged:
            return
        pack = _pack(list(self._staged.values()))
        with tempfile.TemporaryFile() as fh:  # anonymous: nothing to clean up after a crash
            fh.write(pack)
            fh.seek(0)
            self.repo.git.execute(["git", "unpack-objects", "-q"], istream=fh)
        self._staged.clear()

    def rewrite_tree(self, tree: bytes, changes: Mapping[tuple[bytes, ...], bytes]) -> bytes:
        """A copy of `tree` where the blob at each path (tuple of names) gets a new sha.

        Only existing entries change (same mode, same name, same order), so the tree stays
        canonically sorted; every other entry is copied byte for byte."""
        by_name: dict[bytes, dict[tuple[bytes, ...], bytes]] = {}
        for parts, sha in changes.items():
            by_name.setdefault(parts[0], {})[parts[1:]] = sha
        out = bytearray()
        for mode, name, sha in self.tree(tree):
            sub = by_name.pop(name, None)
            if sub is not None:
                if () in sub:
                    if not _is_regular_file(mode):
                        raise BranchError(f"{os.fsdecode(name)}: not a regular file in the tree")
                    sha = sub[()]
                elif _is_tree(mode):
                    sha = self.rewrite_tree(sha, sub)
                else:
                    raise BranchError(f"{os.fsdecode(name)}: not a directory in the tree")
            out += mode + b" " + name + b"\0" + sha
        if by_name:
            missing = ", ".join(os.fsdecode(n) for n in by_name)
            raise BranchError(f"internal error: {missing} not found in tree {tree.hex()}")
        return self.stage("tree", bytes(out))


# -- repository, revisions, identity -----------------------------------------------------


def open_repo(start: str):
    """The repository whose working tree holds `start`; BranchError with a clear message
    for a missing path, a non-repository, a bare repository or a SHA-256 repository."""
    import git

    if not os.path.exists(start):
        raise BranchError(f"{start}: no such file or directory")
    probe = start if os.path.isdir(start) else os.path.dirname(os.path.abspath(start))
    try:
        repo = git.Repo(probe, search_parent_directories=True)
    except git.InvalidGitRepositoryError:
        raise BranchError(
            f"{start} is not inside a git repository; --branch needs one "
            "(use `otpfix fix` without --branch to edit files in place, or --repo DIR)"
        ) from None
    except git.NoSuchPathError:
        raise BranchError(f"{start}: no such file or directory") from None
    except git.GitCommandNotFound:
        raise BranchError("git is not installed (or not on PATH); --branch needs it") from None
    if repo.bare:
        repo.close()
        raise BranchError(
            f"{repo.git_dir} is a bare repository: --branch works in a repository with a "
            "working tree (run it in a clone)"
        )
    fmt = _config(repo, "extensions.objectformat")
    if fmt and fmt.lower() != "sha1":
        repo.close()
        raise BranchError(f"repositories with object format {fmt} are not supported by --branch")
    return repo


def _config(repo, key: str) -> str | None:
    import git

    try:
        value = repo.git.config("--get", key)
    except git.GitCommandError:
        return None
    return value or None


def identity(repo, role: str) -> tuple[str, str]:
    """(name, email) for `role` ("author" or "committer") the way git resolves them from
    the environment and the configuration (GIT_<ROLE>_NAME, <role>.name, user.name, ...),
    without git's guesses from the host name. BranchError when none is set."""
    env = os.environ
    upper = role.upper()
    name = env.get(f"GIT_{upper}_NAME") or _config(repo, f"{role}.name") or _config(repo, "user.name")
    email = (
        env.get(f"GIT_{upper}_EMAIL")
        or _config(repo, f"{role}.email")
        or _config(repo, "user.email")
        or env.get("EMAIL")
    )
    missing = [what for what, value in (("user.name", name), ("user.email", email)) if not value]
    if missing:
        raise BranchError(
            f"no git identity for the {role} of the commits ({' and '.join(missing)} not set). "
            'Set it with `git config user.name "Your Name"` and '
            "`git config user.email you@example.com` (add --global for every repository)"
        )
    return name, email  # type: ignore[return-value]


def resolve_base(repo, base: str | None) -> tuple[str, str]:
    """(commit sha, label) of the base revision. BranchError for an unborn branch or an
    unknown revision."""
    import git

    if base is None:
        try:
            sha = repo.git.rev_parse("--verify", "--quiet", "HEAD^{commit}")
        except git.GitCommandError:
            sha = ""
        if not sha:
            try:
                ref = repo.git.symbolic_ref("--short", "HEAD")
            except git.GitCommandError:
                ref = "HEAD"
            raise BranchError(
                f"the current branch {ref!r} has no commits yet: --branch builds from "
                "committed content (make a first commit, or name a revision with --base REV)"
            )
        if repo.head.is_detached:
            return sha, f"HEAD (detached at {sha[:12]})"
        return sha, repo.head.ref.name
    if base.startswith("-"):
        raise BranchError(f"--base {base!r}: not a revision")
    try:
        sha = repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
    except git.GitCommandError:
        sha = ""
    if not sha:
        raise BranchError(f"--base {base!r}: unknown revision (or not a commit)")
    return sha, base


def check_branch_name(repo, name: str) -> None:
    import git

    bad = not name or name.startswith("-") or name in ("HEAD", "@") or "@{" in name
    if not bad:
        try:
            repo.git.check_ref_format(f"refs/heads/{name}")
        except git.GitCommandError:
            bad = True
    if bad:
        raise BranchError(f"{name!r} is not a valid branch name (see `git check-ref-format`)")


def branch_tip(repo, name: str) -> str | None:
    import git

    try:
        return repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{name}") or None
    except git.GitCommandError:
        return None


def checked_out_in(repo, name: str) -> str | None:
    """The worktree path where branch `name` is checked out, if any."""
    import git

    try:
        listing = repo.git.worktree("list", "--porcelain")
    except git.GitCommandError:
        listing = ""
    path = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = line[len("worktree ") :]
        elif line == f"branch refs/heads/{name}":
            return path or "?"
    try:
        if not repo.head.is_detached and repo.head.ref.name == name:
            return str(repo.working_tree_dir)
    except (TypeError, ValueError):
        pass
    return None


def dirty_state(repo, pathspecs: Sequence[str]) -> DirtyState | None:
    """Uncommitted changes under the pathspecs (GIT_OPTIONAL_LOCKS=0: `git status` must not
    even refresh the user's index)."""
    import git

    try:
        out = repo.git.status(
            "--porcelain=v1", "-z", "--untracked-files=normal", "--", *pathspecs,
            env={"GIT_OPTIONAL_LOCKS": "0"},
            strip_newline_in_stdout=False,
        )
    except git.GitCommandError:
        return None
    modified = untracked = 0
    items = out.split("\0")
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if len(item) < 3:
            continue
        code = item[:2]
        if code == "??":
            untracked += 1
        else:
            modified += 1
            if "R" in code or "C" in code:
                i += 1  # the original path of a rename/copy
    if modified or untracked:
        return DirtyState(modified, untracked)
    return None


# -- selecting files -----------------------------------------------------------------------


def repo_relative(paths: Sequence[str], top: str, base_dir: str) -> list[str]:
    """Each PATH as a "/"-separated path relative to the working tree top ("" for the top).
    Relative PATHs are taken from `base_dir`."""
    top_real = os.path.realpath(top)
    out = []
    for arg in paths:
        full = arg if os.path.isabs(arg) else os.path.join(base_dir, arg)
        rel = os.path.relpath(os.path.realpath(full), top_real)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
            raise BranchError(f"{arg}: outside the repository at {top}")
        rel = "" if rel == os.curdir else rel.replace(os.sep, "/")
        out.append(rel)
    return out


def select_files(
    store: ObjectStore, root_tree: bytes, rels: Sequence[str], warnings: list[str], label: str
) -> dict[str, bytes]:
    """{display path: blob sha} for the files to process in the base tree: the
    *.ex/*.exs files below each named directory (skipping _build/, deps/, ... as the
    working-tree discovery does) and each named file."""
    found: dict[str, bytes] = {}
    for rel in rels:
        parts = tuple(os.fsencode(p) for p in rel.split("/")) if rel else ()
        mode, sha = b"40000", root_tree
        for part in parts:
            if not _is_tree(mode):
                mode = b""
                break
            match = next(((m, s) for m, n, s in store.tree(sha) if n == part), None)
            if match is None:
                mode = b""
                break
            mode, sha = match
        if not mode:
            warnings.append(f"{rel or '.'}: not in the committed tree of {label}; skipped")
            continue
        if _is_tree(mode):
            for path_parts, blob_sha in _walk(store, sha, parts):
                found.setdefault(_display(path_parts), blob_sha)
        elif _is_regular_file(mode):
            found.setdefault(_display(parts), sha)
        else:
            warnings.append(f"{rel}: a symbolic link or submodule in {label}; skipped")
    return dict(sorted(found.items()))


def _display(parts: tuple[bytes, ...]) -> str:
    return "/".join(os.fsdecode(p) for p in parts)


def _walk(
    store: ObjectStore, tree: bytes, prefix: tuple[bytes, ...]
) -> Iterator[tuple[tuple[bytes, ...], bytes]]:
    """Every *.ex/*.exs blob below `tree` (skipping SKIP_DIRS), level by level: the trees
    of one level are read with one batch."""
    suffixes = tuple(s.encode() for s in ELIXIR_SUFFIXES)
    skip = {d.encode() for d in SKIP_DIRS}
    level = [(prefix, tree)]
    while level:
        store.load_trees([sha for _, sha in level])
        below = []
        for path, sha in level:
            for mode, name, child in store.tree(sha):
                if _is_tree(mode):
                    if name not in skip:
                        below.append((path + (name,), child))
                elif _is_regular_file(mode) and name.endswith(suffixes):
                    yield path + (name,), child
        level = below


def _pathspecs(rels: Sequence[str]) -> list[str]:
    return [f":(top,literal){rel}" if rel else ":(top)" for rel in rels]


# -- the run -------------------------------------------------------------------------------


def _applicability(findings: Sequence[Finding], options: RunOptions) -> set[str]:
    kinds = set()
    for f in findings:
        if f.fix is None:
            continue
        if options.safe_only and f.fix.applicability is not Applicability.SAFE:
            continue
        kinds.add(f.fix.applicability.value)
    return kinds


def _label(kinds: set[str]) -> str:
    if kinds == {"safe"}:
        return "safe"
    if kinds == {"unsafe"}:
        return "unsafe"
    return "safe and unsafe"


def create_fix_branch(
    branch: str,
    paths: Sequence[str] | None,
    options: RunOptions,
    *,
    repo_dir: str | None = None,
    base: str | None = None,
    force: bool = False,
    cwd: str | None = None,
    verify: bool = False,
) -> BranchResult:
    """Build branch `branch` with one commit per rule that changed something.

    Relative PATHs are taken from `repo_dir` when given, else from `cwd`. Raises
    BranchError for every refusal (nothing is created then) and registry.RegistryError for
    bad rule ids. A BranchResult with no commits means there was nothing to fix (no
    branch was created or changed)."""
    cwd = os.path.abspath(cwd or os.getcwd())
    base_dir = os.path.abspath(os.path.join(cwd, repo_dir)) if repo_dir else cwd
    paths = list(paths or [])
    rules = [r for r in registry.resolve(options.select, options.ignore, options.rule_options)]
    if repo_dir:
        start = base_dir
    else:
        start = os.path.join(cwd, paths[0]) if paths else cwd
    repo = open_repo(start)
    try:
        return _create(repo, branch, paths or ["."], base_dir, rules, options, base, force, verify)
    finally:
        repo.close()  # stops gitpython's persistent `git cat-file` processes


def _create(repo, branch, paths, base_dir, rules, options, base, force, verify=False) -> BranchResult:
    import git
    from git import Commit

    top = str(repo.working_tree_dir)
    check_branch_name(repo, branch)
    base_sha, base_label = resolve_base(repo, base)
    result = BranchResult(branch=branch, base_sha=base_sha, base_label=base_label)

    existing = branch_tip(repo, branch)
    if existing is not None:
        where = checked_out_in(repo, branch)
        if where is not None:
            raise BranchError(
                f"branch {branch!r} is checked out in {where}: otpfix will not move a "
                "checked-out branch, even with --force (choose another name)"
            )
        if not force:
            raise BranchError(
                f"branch {branch!r} already exists (at {existing[:12]}); choose another "
                "name, or pass --force to replace it"
            )
        result.existing = existing
    author = identity(repo, "author")
    committer = identity(repo, "committer")

    rels = repo_relative(paths, top, base_dir)
    result.dirty = dirty_state(repo, _pathspecs(rels))

    store = ObjectStore(repo)
    base_commit = Commit(repo, bytes.fromhex(base_sha))
    root_tree = bytes.fromhex(repo.git.rev_parse("--verify", f"{base_sha}^{{tree}}"))
    selected = select_files(store, root_tree, rels, result.warnings, base_label)
    sizes = store.sizes(list(selected.values()))
    wanted = {}
    for path, sha in selected.items():
        if sizes[sha] > options.max_file_size:
            result.errors.append(
                (path, f"file is larger than the {options.max_file_size} byte limit; skipped")
            )
        else:
            wanted[path] = sha
    blobs = store.read_many(list(wanted.values()))
    contents: dict[str, bytes] = {path: blobs[sha][1] for path, sha in wanted.items()}
    result.files_scanned = len(selected)

    seen_errors = {p for p, _ in result.errors}
    parent = base_commit
    tree = root_tree
    for rule in rules:
        if not type(rule).fixable:
            continue
        rule_options = dataclasses.replace(
            options, select=(rule.id,), ignore=(), fix=True,
            rule_options={k: v for k, v in options.rule_options.items() if k == rule.id},
        )
        run = api.run_sources(contents, rule_options)
        if verify:  # --verify: Elixir must still parse every file this rule rewrote
            from .verify import verify_results

            run.results = verify_results(run.results)
        _collect_errors(run.results, result, seen_errors)
        result.notes.extend((r.path, note) for r in run.results for note in r.notes)
        changed = [r for r in run.results if r.changed]
        if not changed:
            continue
        commit, parent, tree = _commit_rule(
            store, repo, type(rule), changed, tree, parent, author, committer, options
        )
        result.commits.append(commit)
        for r in changed:
            contents[r.path] = r.fixed  # type: ignore[assignment]

    # What is left on the final content, for the report and the PR body.
    scan = api.run_sources(contents, dataclasses.replace(options, fix=False))
    _collect_errors(scan.results, result, seen_errors)
    result.remaining = [f for r in scan.results for f in r.findings]

    if not result.commits:
        return result
    old = existing if existing is not None else ZERO_SHA
    # From here on the branch may exist: an interrupt waits until it has been reported.
    defer_interrupts()
    try:
        repo.git.update_ref(
            "-m", f"otpfix fix --branch: {_plural(len(result.commits), 'commit')} on {base_label}",
            f"refs/heads/{branch}", result.commits[-1].sha, old,
        )
    except git.GitCommandError as exc:
        detail = (exc.stderr or "").strip().replace("\n", " ") or str(exc)
        raise BranchError(f"could not create branch {branch!r}: {detail}") from None
    result.created = True
    result.replaced = existing
    return result


def _collect_errors(results: Sequence[FileResult], result: BranchResult, seen: set[str]) -> None:
    for r in results:
        if r.error and r.path not in seen:
            seen.add(r.path)
            result.errors.append((r.path, r.error))


def _commit_rule(store, repo, rule, changed: Sequence[FileResult], tree, parent,
                 author, committer, options):
    """Write the blobs, trees and commit of one rule; returns (RuleCommit, Commit, tree sha)."""
    from git import Actor, Commit
    from git.objects.tree import Tree

    changes: dict[tuple[bytes, ...], bytes] = {}
    files = []
    kinds: set[str] = set()
    for r in changed:
        parts = tuple(os.fsencode(p) for p in r.path.split("/"))
        changes[parts] = store.stage("blob", r.fixed)  # type: ignore[arg-type]
        left = sum(1 for f in r.remaining if f.rule == rule.id)
        files.append(FileChange(r.path, len(r.applied), left))
        kinds |= _applicability([f for f in r.findings if f.rule == rule.id], options)
    applicability = _label(kinds or {"safe"})
    new_tree = store.rewrite_tree(tree, changes)
    store.flush()
    subject, message = commit_message(rule, files, applicability)
    try:
        commit = Commit.create_from_tree(
            repo,
            Tree(repo, new_tree),
            message,
            parent_commits=[parent],
            head=False,
            author=Actor(*author),
            committer=Actor(*committer),
        )
    except ValueError as exc:
        raise BranchError(f"could not create the commit for {rule.id}: {exc}") from None
    info = RuleCommit(
        rule=rule.id,
        summary=rule.summary,
        sha=commit.hexsha,
        subject=subject,
        message=message,
        files=tuple(files),
        applicability=applicability,
    )
    return info, commit, new_tree


# -- reporting -----------------------------------------------------------------------------


def render_report(result: BranchResult) -> list[str]:
    """The lines printed on stderr after a run."""
    lines: list[str] = []
    if result.dirty is not None:
        parts = []
        if result.dirty.modified:
            parts.append(f"{result.dirty.modified} changed")
        if result.dirty.untracked:
            parts.append(f"{result.dirty.untracked} untracked")
        lines.append(
            f"note: the working tree has uncommitted changes ({', '.join(parts)} "
            f"under the given paths); they are not included: the branch is built from the "
            f"committed content of {result.base_label} ({result.base_sha[:12]}), and your "
            "working tree, index and stash are left as they are"
        )
    lines.extend(f"warning: {w}" for w in result.warnings)
    if not result.commits:
        lines.append(
            f"nothing to fix in {_plural(result.files_scanned, 'file')} at {result.base_label} "
            f"({result.base_sha[:12]}); no branch created"
            + (f" (the existing branch {result.branch} is left as it is)" if result.existing else "")
        )
    else:
        verb = "replaced" if result.replaced else "created"
        lines.append(
            f"{verb} branch {result.branch} with {_plural(len(result.commits), 'commit')} on "
            f"{result.base_label} ({result.base_sha[:12]}):"
        )
        for c in result.commits:
            lines.append(f"  {c.sha[:12]} {c.subject}")
        lines.append("per rule:")
        width = max(len(c.rule) for c in result.commits)
        for c in result.commits:
            lines.append(
                f"  {c.rule:<{width}}  {_plural(c.fixed, 'finding')} fixed in "
                f"{_plural(len(c.files), 'file')} ({c.applicability})"
            )
        if result.replaced:
            lines.append(f"(the branch was at {result.replaced[:12]} before)")
        lines.append(f"review with: git log -p {result.base_sha[:12]}..{result.branch}")
    if result.remaining:
        where = "listed in --pr-body; run `otpfix scan` on the branch" if result.commits else "run `otpfix scan`"
        lines.append(
            f"{_plural(len(result.remaining), 'finding')} left without an automatic fix ({where})"
        )
    return lines


def render_pr_body(result: BranchResult, limit: int = 50) -> str:
    """A Markdown review summary: per rule what changed, how many places, what to check."""
    out = [f"# otpfix: automated OTP fixes ({len(result.commits)} "
           f"commit{'s' * (len(result.commits) != 1)})", ""]
    out.append(
        f"Generated by otpfix {__version__} from `{result.base_sha[:12]}` ({result.base_label}). "
        "One commit per rule: each commit is exactly that rule's change, so it can be "
        "reviewed, reverted or dropped on its own."
    )
    out += ["", "| Rule | Findings fixed | Files | Fix safety |", "|---|---:|---:|---|"]
    for c in result.commits:
        out.append(f"| `{c.rule}` | {c.fixed} | {len(c.files)} | {c.applicability} |")
    for c in result.commits:
        rule = registry.get(c.rule)
        out += ["", f"## `{c.rule}`: {c.summary.rstrip('.')}", ""]
        out.append(
            f"Commit `{c.sha[:12]}`: {_plural(c.fixed, 'place')} in {_plural(len(c.files), 'file')}:"
        )
        out.append("")
        for f in c.files:
            extra = f", {f.left} more left unfixed" if f.left else ""
            out.append(f"- `{f.path}` ({f.fixed}{extra})")
        notes = review_notes(rule)
        out += ["", "**What to check** (from `otpfix explain " + c.rule + "`):", ""]
        out.append(notes or "See `otpfix explain " + c.rule + "`.")
    if result.remaining:
        out += ["", "## Left for manual review", ""]
        out.append(
            f"{_plural(len(result.remaining), 'finding')} that otpfix reports without an "
            "automatic fix (or whose fix was not applied):"
        )
        out.append("")
        for f in result.remaining[:limit]:
            out.append(f"- `{f.path}:{f.span.line}` `{f.rule}`: {f.message}")
        if len(result.remaining) > limit:
            out.append(f"- ... and {len(result.remaining) - limit} more")
    return "\n".join(out) + "\n"


def write_text_atomic(path: str, text: str) -> None:
    """Write a small text file through a temporary file and a rename."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".otpfix-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_INTERRUPTS = ("SIGINT", "SIGTERM", "SIGHUP")
_guard = {"active": False, "deferred": False}


@contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into KeyboardInterrupt while the branch is built, so the
    same cleanup runs as for Ctrl-C; and let `defer_interrupts` hold every interrupt back
    from the moment the branch ref is written until this block ends (the report of a
    branch that exists is then printed before the interrupt takes effect). Only in the
    main thread (signal's rule); elsewhere a no-op."""
    import threading

    if threading.current_thread() is not threading.main_thread() or _guard["active"]:
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = {}
    for name in _INTERRUPTS[1:]:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    _guard["active"] = True
    try:
        yield
    finally:
        try:
            if _guard["deferred"]:
                _guard["deferred"] = False
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _signals())  # pending ones fire now
        finally:
            _guard["active"] = False
            for sig, old in previous.items():
                signal.signal(sig, old)


def _signals() -> set:
    return {getattr(signal, n) for n in _INTERRUPTS if hasattr(signal, n)}


def defer_interrupts() -> None:
    """Inside `interrupts_as_keyboard_interrupt` only: block interrupts until it ends."""
    if _guard["active"] and not _guard["deferred"] and hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _signals())
        _guard["deferred"] = True
