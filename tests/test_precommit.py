"""The repository's pre-commit hooks, installed by pre-commit itself in a scratch repository,
block a commit that adds a finding and let a clean one through."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_cli import CLEAN, DOWN

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    head = git("rev-parse", "HEAD", cwd=ROOT, check=False)
    if head.returncode != 0:
        pytest.skip("otpfix is not running from a git checkout")
    # pre-commit clones the hook repository at a commit: use a clone of HEAD's content.
    repo = tmp_path / "work"
    repo.mkdir()
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    git("init", "-q", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {head.stdout.strip()}\n    hooks:\n      - id: otpfix-fix\n      - id: otpfix\n"
    )
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env, check=True, capture_output=True)
    return repo, env


def test_commit_with_a_finding_is_blocked(scratch):
    repo, env = scratch
    (repo / "lib").mkdir()
    (repo / "lib" / "server.ex").write_bytes(DOWN)
    git("add", "-A", cwd=repo)
    blocked = subprocess.run(["git", "commit", "-qm", "add server"], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "demonitor-down" in blocked.stdout + blocked.stderr
    assert git("rev-parse", "--verify", "HEAD", cwd=repo, check=False).returncode != 0, "no commit was made"
    # The otpfix-fix hook applied the safe fix to the working tree for review.
    assert b"Process.demonitor(ref, [:flush])" in (repo / "lib" / "server.ex").read_bytes()

    (repo / "lib" / "server.ex").write_bytes(CLEAN)
    git("add", "-A", cwd=repo)
    ok = subprocess.run(["git", "commit", "-qm", "add clean"], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert ok.returncode == 0, ok.stdout + ok.stderr
