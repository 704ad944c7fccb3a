"""Real temporary git repositories for the branch-mode and patch tests.

Every repository gets its own identity in its config; the environment is isolated from the
user's global and system git configuration by the `git_env` fixture (tests/conftest.py
style: call `isolate_git(monkeypatch, tmp_path)`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import git
import pytest

DOWN = (
    "  def handle_info({{:DOWN, _ref, :process, pid, _reason}}, state) do\n"
    "    # {note}\n"
    "    {{:noreply, Map.delete(state, pid)}}\n"
    "  end\n"
)
FIXED_LINE = "    Process.demonitor(ref, [:flush])\n"


def module(name: str, downs: int = 1, note: str = "the process is gone") -> str:
    """An Elixir GenServer module with `downs` :DOWN handlers (each one finding)."""
    body = "".join(DOWN.format(note=f"{note} {i}") for i in range(downs))
    return f"defmodule {name} do\n  use GenServer\n\n{body}end\n"


def clean_module(name: str) -> str:
    return f"defmodule {name} do\n  def hello, do: :world\nend\n"


def require_git() -> str:
    exe = shutil.which("git")
    if exe is None:
        pytest.skip("git is not installed")
    return exe


def isolate_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global/system config, no identity, no inherited repository variables."""
    require_git()
    empty = tmp_path / "empty-global.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in (
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
        "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
        "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE", "EMAIL", "GIT_CEILING_DIRECTORIES",
    ):
        monkeypatch.delenv(var, raising=False)
    # Never find the otpfix checkout (or anything else) above the temporary directory.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def make_repo(path: Path, files: dict[str, str | bytes], *, identity: bool = True,
              config: dict[str, str] | None = None, branch: str = "main") -> git.Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(path, initial_branch=branch)
    if identity:
        with repo.config_writer() as cw:
            cw.set_value("user", "name", "Test Person")
            cw.set_value("user", "email", "test@example.com")
    for key, value in (config or {}).items():
        repo.git.config(key, value)
    if files:
        write(path, files)
        repo.git.add("-A")
        repo.git.commit("-m", "initial")
    return repo


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)


def otpfix(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess (real exit code, stdout and stderr separated)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", "from otpfix.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        env=full_env,
        timeout=300,
    )


def git_out(root: Path, *args: str, binary: bool = False, **kw):
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True,
                          env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}, **kw)
    return proc.stdout if binary else proc.stdout.decode()


@dataclass(frozen=True)
class Snapshot:
    status: str
    head_file: bytes
    head_sha: str
    index: str
    stash: str
    refs: str
    files: dict[str, bytes]


def snapshot(root: Path) -> Snapshot:
    """Everything of the user's checkout that branch mode must leave alone. `git status`
    runs with GIT_OPTIONAL_LOCKS=0 so that taking the snapshot does not rewrite the index."""
    files = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] == ".git" or not p.is_file():
            continue
        files[rel.as_posix()] = p.read_bytes()
    if not (root / ".git").exists():  # not a repository: only the files matter
        return Snapshot("", b"", "", "", "", "", files)
    gitdir = Path(git_out(root, "rev-parse", "--absolute-git-dir").strip())
    index = gitdir / "index"
    return Snapshot(
        status=git_out(root, "status", "--porcelain", "--untracked-files=all"),
        head_file=(gitdir / "HEAD").read_bytes(),
        head_sha=subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root,
                                capture_output=True, text=True).stdout.strip(),
        index=hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else "",
        stash=subprocess.run(["git", "stash", "list", "--format=%H %s"], cwd=root,
                             capture_output=True, text=True).stdout,
        refs=git_out(root, "for-each-ref", "--format=%(refname) %(objectname)"),
        files=files,
    )


def refs_without(snap: Snapshot, branch: str) -> str:
    return "".join(line + "\n" for line in snap.refs.splitlines()
                   if not line.startswith(f"refs/heads/{branch} "))


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    subject: str
    message: str
    trailers: dict[str, str]
    files: list[str]
    parent: str
    author: str
    committer: str


def branch_commits(root: Path, base: str, branch: str) -> list[CommitInfo]:
    """The commits base..branch, oldest first, with what each one changed."""
    shas = git_out(root, "rev-list", "--reverse", f"{base}..refs/heads/{branch}").split()
    out = []
    for sha in shas:
        message = git_out(root, "log", "-1", "--format=%B", sha)
        parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                                capture_output=True, text=True, cwd=root, check=True).stdout
        trailers = dict(line.split(": ", 1) for line in parsed.splitlines() if ": " in line)
        files = git_out(root, "diff-tree", "--no-commit-id", "-r", "-z", "--name-only", sha)
        out.append(CommitInfo(
            sha=sha,
            subject=message.splitlines()[0],
            message=message,
            trailers=trailers,
            files=sorted(f for f in files.split("\0") if f),
            parent=git_out(root, "rev-parse", f"{sha}^").strip(),
            author=git_out(root, "log", "-1", "--format=%an <%ae>", sha).strip(),
            committer=git_out(root, "log", "-1", "--format=%cn <%ce>", sha).strip(),
        ))
    return out


def blob(root: Path, rev: str, path: str) -> bytes:
    return git_out(root, "cat-file", "blob", f"{rev}:{path}", binary=True)


def branch_exists(root: Path, branch: str) -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                          cwd=root, capture_output=True).returncode == 0
