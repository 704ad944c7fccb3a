"""`otpfix fix --branch NAME` on real temporary git repositories.

Every test asserts the commits (count, subjects, trailers, changed files) and that the
user's checkout (`git status --porcelain`, HEAD, index bytes, stash, other refs, every
working-tree file) is exactly the same before and after.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from git_helpers import (
    FIXED_LINE,
    blob,
    branch_commits,
    branch_exists,
    clean_module,
    git_out,
    isolate_git,
    make_repo,
    module,
    otpfix,
    refs_without,
    snapshot,
    write,
)
from otpfix import __version__, api, gitbranch, registry
from otpfix.transform import Transform, make_fix
from otpfix.types import Edit, RunOptions

SUBJECT = "otpfix: demonitor-down: Call Process.demonitor(ref, [:flush])..."


@pytest.fixture(autouse=True)
def _git_env(monkeypatch, tmp_path):
    isolate_git(monkeypatch, tmp_path)


def engine_fix(data: bytes, path: str = "lib/x.ex", select=("demonitor-down",)) -> bytes:
    """What the engine makes of these bytes (the branch must hold exactly this)."""
    run = api.run_sources({path: data}, RunOptions(select=select, fix=True))
    result = run.results[0]
    assert result.error is None
    return result.fixed if result.fixed is not None else data


def assert_untouched(before, after, branch: str) -> None:
    assert after.status == before.status
    assert after.head_file == before.head_file
    assert after.head_sha == before.head_sha
    assert after.index == before.index, "the user's index file changed"
    assert after.stash == before.stash
    assert refs_without(after, branch) == refs_without(before, branch)
    assert after.files == before.files, "a working-tree file changed"


def assert_demonitor_commit(c, files: list[str], counts: dict[str, int]) -> None:
    assert c.subject == SUBJECT
    assert len(c.subject) < 72
    assert c.trailers == {"Otpfix-Rule": "demonitor-down", "Otpfix-Version": __version__}
    assert c.files == sorted(files)
    for path, n in counts.items():
        assert f"- {path}: {n}\n" in c.message
    assert c.author == "Test Person <test@example.com>"
    assert c.committer == "Test Person <test@example.com>"


# -- the main scenarios ----------------------------------------------------------------------


def test_clean_tree(tmp_path):
    root = tmp_path / "repo"
    files = {
        "lib/app/a.ex": module("App.A", downs=2),
        "lib/app/b.ex": module("App.B"),
        "lib/app/clean.ex": clean_module("App.Clean"),
        "README.md": "hello\n",
    }
    make_repo(root, files)
    base = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)

    proc = otpfix("fix", "--branch", "otpfix/fixes", cwd=root)

    assert proc.returncode == 0, proc.stderr.decode()
    err = proc.stderr.decode()
    assert proc.stdout == b""
    assert "created branch otpfix/fixes with 1 commit on main" in err
    assert "demonitor-down  3 findings fixed in 2 files (safe)" in err
    assert "uncommitted" not in err
    commits = branch_commits(root, base, "otpfix/fixes")
    assert len(commits) == 1
    c = commits[0]
    assert c.parent == base
    assert_demonitor_commit(c, ["lib/app/a.ex", "lib/app/b.ex"], {"lib/app/a.ex": 2, "lib/app/b.ex": 1})
    for path in ("lib/app/a.ex", "lib/app/b.ex"):
        after = blob(root, "otpfix/fixes", path)
        assert after == engine_fix(files[path].encode(), path)
        assert after.count(FIXED_LINE.encode()) == files[path].count(":DOWN")
    assert blob(root, "otpfix/fixes", "lib/app/clean.ex") == files["lib/app/clean.ex"].encode()
    # Unchanged subtrees are reused, not rewritten.
    assert git_out(root, "rev-parse", f"{base}:README.md") == git_out(root, "rev-parse", "otpfix/fixes:README.md")
    assert_untouched(before, snapshot(root), "otpfix/fixes")
    assert "main" == git_out(root, "symbolic-ref", "--short", "HEAD").strip()
    fsck = git_out(root, "fsck", "--strict", "--no-dangling")
    assert fsck.strip() == ""


def test_dirty_tree_is_left_alone_and_not_included(tmp_path):
    root = tmp_path / "repo"
    committed = {
        "lib/a.ex": module("Dirty.A"),
        "lib/b.ex": module("Dirty.B"),
        "lib/c.ex": clean_module("Dirty.C"),
    }
    repo = make_repo(root, committed)
    base = repo.head.commit.hexsha
    # A stash entry made before the run.
    write(root, {"lib/c.ex": clean_module("Dirty.C") + "# stashed\n"})
    git_out(root, "stash", "push", "-m", "kept")
    # Unstaged edit, staged edit, untracked file with a finding.
    dirty_a = module("Dirty.A", downs=2, note="edited in the working tree").replace("\n", "\r\n")
    write(root, {"lib/a.ex": dirty_a})
    write(root, {"lib/b.ex": module("Dirty.B") + "# staged\n"})
    git_out(root, "add", "lib/b.ex")
    write(root, {"lib/b.ex": module("Dirty.B") + "# staged\n# and then edited again\n"})
    write(root, {"lib/new.ex": module("Dirty.New")})
    before = snapshot(root)
    assert before.status.count("\n") == 3

    proc = otpfix("fix", "--branch", "fixes", "lib", cwd=root)

    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "uncommitted changes (2 changed, 1 untracked under the given paths)" in err
    assert "they are not included" in err
    commits = branch_commits(root, base, "fixes")
    assert len(commits) == 1
    assert_demonitor_commit(commits[0], ["lib/a.ex", "lib/b.ex"], {"lib/a.ex": 1, "lib/b.ex": 1})
    # The branch holds the fix of the committed bytes, not of the dirty ones.
    assert blob(root, "fixes", "lib/a.ex") == engine_fix(committed["lib/a.ex"].encode())
    assert blob(root, "fixes", "lib/b.ex") == engine_fix(committed["lib/b.ex"].encode())
    assert "lib/new.ex" not in git_out(root, "ls-tree", "-r", "--name-only", "fixes")
    after = snapshot(root)
    assert_untouched(before, after, "fixes")
    assert after.files["lib/a.ex"] == dirty_a.encode()  # byte-identical, CRLF included


def test_existing_branch_name(tmp_path):
    root = tmp_path / "repo"
    repo = make_repo(root, {"lib/a.ex": module("Taken.A")})
    base = repo.head.commit.hexsha
    write(root, {"notes.txt": "second\n"})
    git_out(root, "add", "notes.txt")
    git_out(root, "commit", "-m", "second")
    git_out(root, "branch", "taken", base)
    head = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)

    proc = otpfix("fix", "--branch", "taken", cwd=root)
    assert proc.returncode == 2
    assert "branch 'taken' already exists" in proc.stderr.decode()
    assert "--force" in proc.stderr.decode()
    assert snapshot(root) == before  # the branch did not move either

    proc = otpfix("fix", "--branch", "taken", "--force", cwd=root)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "replaced branch taken" in err
    assert f"(the branch was at {base[:12]} before)" in err
    commits = branch_commits(root, head, "taken")
    assert len(commits) == 1
    assert commits[0].parent == head
    assert_demonitor_commit(commits[0], ["lib/a.ex"], {"lib/a.ex": 1})
    assert_untouched(before, snapshot(root), "taken")

    # The checked-out branch is never moved, not even with --force.
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "main", "--force", cwd=root)
    assert proc.returncode == 2
    assert "is checked out" in proc.stderr.decode()
    assert snapshot(root) == before


def test_nested_package_paths(tmp_path):
    root = tmp_path / "umbrella"
    files = {
        "apps/alpha/lib/alpha/deep/er/worker.ex": module("Alpha.Deep.Er.Worker"),
        "apps/alpha/lib/alpha.ex": module("Alpha"),
        "apps/alpha/test/alpha_test.exs": clean_module("AlphaTest"),
        "apps/beta/lib/beta/server.ex": module("Beta.Server", downs=3),
        "apps/beta/deps/dep/lib/dep.ex": module("Dep"),
        "deps/vendored/lib/vendored.ex": module("Vendored"),
        "config/config.exs": "import Config\n",
    }
    make_repo(root, files)
    base = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)

    # From a nested directory, no PATH: that directory only.
    proc = otpfix("fix", "--branch", "alpha-fixes", cwd=root / "apps/alpha/lib/alpha")
    assert proc.returncode == 0, proc.stderr.decode()
    commits = branch_commits(root, base, "alpha-fixes")
    assert len(commits) == 1
    assert_demonitor_commit(commits[0], ["apps/alpha/lib/alpha/deep/er/worker.ex"],
                            {"apps/alpha/lib/alpha/deep/er/worker.ex": 1})

    # From outside the repository, with --repo: PATHs are relative to the repository.
    proc = otpfix("fix", "--branch", "beta-fixes", "--repo", str(root), "apps/beta", "apps/alpha/lib/alpha.ex",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    commits = branch_commits(root, base, "beta-fixes")
    assert len(commits) == 1
    # deps/ below a walked directory is skipped, like the working-tree discovery does.
    assert_demonitor_commit(commits[0], ["apps/alpha/lib/alpha.ex", "apps/beta/lib/beta/server.ex"],
                            {"apps/beta/lib/beta/server.ex": 3, "apps/alpha/lib/alpha.ex": 1})

    # The whole repository: everything except deps/.
    proc = otpfix("fix", "--branch", "all-fixes", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    commits = branch_commits(root, base, "all-fixes")
    assert commits[0].files == [
        "apps/alpha/lib/alpha.ex",
        "apps/alpha/lib/alpha/deep/er/worker.ex",
        "apps/beta/lib/beta/server.ex",
    ]
    after = snapshot(root)
    for name in ("alpha-fixes", "beta-fixes", "all-fixes"):
        before = before.__class__(**{**before.__dict__, "refs": refs_without(before, name)})
        after = after.__class__(**{**after.__dict__, "refs": refs_without(after, name)})
    assert after == before

    # A PATH outside the repository is refused.
    proc = otpfix("fix", "--branch", "x", "--repo", str(root), str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "outside the repository" in proc.stderr.decode()


def test_core_autocrlf_repository(tmp_path):
    root = tmp_path / "repo"
    repo = make_repo(root, {}, config={"core.autocrlf": "false"})
    # Committed with CRLF in the blob, before autocrlf was switched on.
    crlf_blob = module("Crlf.Legacy").replace("\n", "\r\n")
    write(root, {"lib/legacy.ex": crlf_blob})
    git_out(root, "add", "-A")
    git_out(root, "commit", "-m", "legacy CRLF file")
    repo.git.config("core.autocrlf", "true")
    # Written with CRLF in the working tree, normalised to LF in the blob.
    worktree_crlf = module("Crlf.Normalised", downs=2).replace("\n", "\r\n")
    write(root, {"lib/normalised.ex": worktree_crlf})
    git_out(root, "add", "-A")
    git_out(root, "commit", "-m", "normalised file")
    base = git_out(root, "rev-parse", "HEAD").strip()
    assert b"\r" not in blob(root, base, "lib/normalised.ex")
    before = snapshot(root)

    proc = otpfix("fix", "--branch", "crlf-fixes", cwd=root)

    assert proc.returncode == 0, proc.stderr.decode()
    commits = branch_commits(root, base, "crlf-fixes")
    assert len(commits) == 1
    assert_demonitor_commit(commits[0], ["lib/legacy.ex", "lib/normalised.ex"],
                            {"lib/legacy.ex": 1, "lib/normalised.ex": 2})
    # The engine saw the committed bytes: LF stays LF, CRLF stays CRLF, no churn.
    normalised = blob(root, "crlf-fixes", "lib/normalised.ex")
    assert b"\r" not in normalised
    assert normalised == engine_fix(module("Crlf.Normalised", downs=2).encode())
    legacy = blob(root, "crlf-fixes", "lib/legacy.ex")
    assert legacy.count(b"\n") == legacy.count(b"\r\n")
    assert (FIXED_LINE.replace("\n", "\r\n")).encode() in legacy
    numstat = git_out(root, "diff", "--numstat", base, "crlf-fixes")
    assert sorted(numstat.splitlines()) == ["2\t1\tlib/legacy.ex", "4\t2\tlib/normalised.ex"]  # +demonitor, _ref -> ref
    assert_untouched(before, snapshot(root), "crlf-fixes")
    # Checked out, the new lines get the working tree's CRLF like every other line.
    checkout = tmp_path / "checkout"
    git_out(root, "worktree", "add", "-q", str(checkout), "crlf-fixes")
    assert (checkout / "lib/normalised.ex").read_bytes() == normalised.replace(b"\n", b"\r\n")


def test_detached_head(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Detached.A")})
    first = git_out(root, "rev-parse", "HEAD").strip()
    write(root, {"lib/b.ex": module("Detached.B")})
    git_out(root, "add", "-A")
    git_out(root, "commit", "-m", "second")
    git_out(root, "checkout", "-q", "--detach", first)
    before = snapshot(root)
    assert before.head_file.strip() == first.encode()

    proc = otpfix("fix", "--branch", "from-detached", cwd=root)

    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert f"on HEAD (detached at {first[:12]})" in err
    commits = branch_commits(root, first, "from-detached")
    assert len(commits) == 1
    assert commits[0].parent == first
    assert_demonitor_commit(commits[0], ["lib/a.ex"], {"lib/a.ex": 1})
    assert_untouched(before, snapshot(root), "from-detached")


def test_base_revision(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Base.A")})
    git_out(root, "tag", "v1")
    write(root, {"lib/b.ex": module("Base.B")})
    git_out(root, "add", "-A")
    git_out(root, "commit", "-m", "second")
    v1 = git_out(root, "rev-parse", "v1^{commit}").strip()
    before = snapshot(root)

    proc = otpfix("fix", "--branch", "from-tag", "--base", "v1", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    commits = branch_commits(root, v1, "from-tag")
    assert [c.parent for c in commits] == [v1]
    assert commits[0].files == ["lib/a.ex"]
    assert_untouched(before, snapshot(root), "from-tag")

    proc = otpfix("fix", "--branch", "nope", "--base", "no-such-rev", cwd=root)
    assert proc.returncode == 2
    assert "unknown revision" in proc.stderr.decode()
    assert not branch_exists(root, "nope")


# -- refusals and nothing-to-do ---------------------------------------------------------------


def test_nothing_to_fix_creates_no_branch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": clean_module("Nothing.A")})
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "fixes", "--pr-body", str(tmp_path / "body.md"), cwd=root)
    assert proc.returncode == 0
    assert "nothing to fix in 1 file at main" in proc.stderr.decode()
    assert "no branch created" in proc.stderr.decode()
    assert not branch_exists(root, "fixes")
    assert not (tmp_path / "body.md").exists()
    assert snapshot(root) == before


def test_not_a_repository(tmp_path):
    plain = tmp_path / "plain"
    write(plain, {"lib/a.ex": module("Plain.A")})
    proc = otpfix("fix", "--branch", "fixes", cwd=plain)
    assert proc.returncode == 2
    assert "is not inside a git repository" in proc.stderr.decode()
    assert (plain / "lib/a.ex").read_text() == module("Plain.A")


def test_bare_repository(tmp_path):
    bare = tmp_path / "bare.git"
    git_out(tmp_path, "init", "-q", "--bare", str(bare))
    proc = otpfix("fix", "--branch", "fixes", "--repo", str(bare), cwd=tmp_path)
    assert proc.returncode == 2
    assert "is a bare repository" in proc.stderr.decode()


def test_unborn_branch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {})
    write(root, {"lib/a.ex": module("Unborn.A")})
    git_out(root, "add", "-A")
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "fixes", cwd=root)
    assert proc.returncode == 2
    assert "'main' has no commits yet" in proc.stderr.decode()
    assert snapshot(root) == before


def test_no_identity(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {}, identity=False)
    write(root, {"lib/a.ex": module("Anon.A")})
    env = {"GIT_AUTHOR_NAME": "Setup", "GIT_AUTHOR_EMAIL": "s@example.com",
           "GIT_COMMITTER_NAME": "Setup", "GIT_COMMITTER_EMAIL": "s@example.com"}
    git_out(root, "add", "-A")
    subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=root, check=True, env={**os.environ, **env})
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "fixes", cwd=root)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "no git identity" in err and "git config user.email" in err
    assert not branch_exists(root, "fixes")
    assert snapshot(root) == before
    # The environment works like for git itself.
    proc = otpfix("fix", "--branch", "fixes", cwd=root,
                  env={"GIT_AUTHOR_NAME": "Env Author", "GIT_AUTHOR_EMAIL": "a@example.com",
                       "GIT_COMMITTER_NAME": "Env Committer", "GIT_COMMITTER_EMAIL": "c@example.com"})
    assert proc.returncode == 0, proc.stderr.decode()
    [c] = branch_commits(root, before.head_sha, "fixes")
    assert (c.author, c.committer) == ("Env Author <a@example.com>", "Env Committer <c@example.com>")


@pytest.mark.parametrize("name", ["-x", "HEAD", "@", "a..b", "bad name", "x.lock", "@{-1}", ""])
def test_invalid_branch_names(tmp_path, name):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Names.A")})
    proc = otpfix("fix", f"--branch={name}", cwd=root)
    assert proc.returncode == 2
    assert "not a valid branch name" in proc.stderr.decode()


def test_branch_options_need_branch(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Opts.A")})
    proc = otpfix("fix", "--force", cwd=root)
    assert proc.returncode == 2
    assert "--force only work together with --branch" in proc.stderr.decode()
    assert (root / "lib/a.ex").read_text() == module("Opts.A")


def test_select_ignore_safe_only(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Sel.A")})
    base = git_out(root, "rev-parse", "HEAD").strip()
    proc = otpfix("fix", "--branch", "ignored", "--ignore", "demonitor-down", cwd=root)
    assert proc.returncode == 0
    assert "nothing to fix" in proc.stderr.decode()
    assert not branch_exists(root, "ignored")
    proc = otpfix("fix", "--branch", "selected", "--select", "demonitor-down", "--safe-only", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [c.subject for c in branch_commits(root, base, "selected")] == [SUBJECT]
    proc = otpfix("fix", "--branch", "bad", "--select", "no-such-rule", cwd=root)
    assert proc.returncode == 2
    assert "unknown rule 'no-such-rule'" in proc.stderr.decode()


def test_pr_body(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Pr.A", downs=2), "lib/b.ex": module("Pr.B")})
    body = tmp_path / "out" / "body.md"
    body.parent.mkdir()
    proc = otpfix("fix", "--branch", "fixes", "--pr-body", str(body), cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    text = body.read_text()
    sha = git_out(root, "rev-parse", "fixes").strip()
    assert text.startswith("# otpfix: automated OTP fixes (1 commit)\n")
    assert "| `demonitor-down` | 3 | 2 | safe |" in text
    assert f"Commit `{sha[:12]}`: 3 places in 2 files:" in text
    assert "- `lib/a.ex` (2)\n- `lib/b.ex` (1)\n" in text
    # The reviewer's checklist is the rule's documented fix safety.
    safety = registry.get("demonitor-down").documentation().split("## Fix safety", 1)[1].strip()
    assert safety.splitlines()[0] in text


# -- several rules, generically (later rules plug in the same way) ---------------------------


class _UnsafeTodo(Transform):
    """Test rule: turn `# TODO` into `# FIXME`.

    ## Fix safety
    Unsafe: reviewers must check the child order.
    """

    id = "aaa-test-todo"
    summary = "Turn TODO comments into FIXME comments for the test suite"
    fixable = True
    needles = (b"# TODO",)

    def check(self, ctx):
        for m in re.finditer(rb"# TODO", ctx.data):
            fix = make_fix("FIXME", [Edit(m.start(), m.end(), "# FIXME")], safe=False)
            yield ctx.finding((m.start(), m.end()), "a TODO", fix)


class _ReportOnly(Transform):
    """Test rule: report `:erlang.halt` without a fix.

    ## Fix safety
    No fix.
    """

    id = "zzz-test-report"
    summary = "Report :erlang.halt"
    needles = (b":erlang.halt",)

    def check(self, ctx):
        for m in re.finditer(rb":erlang\.halt", ctx.data):
            yield ctx.finding((m.start(), m.end()), "halts the VM")


@pytest.fixture
def extra_rules(monkeypatch):
    real = registry.all_transforms()
    monkeypatch.setattr(registry, "all_transforms", lambda: tuple(sorted(real + (_UnsafeTodo, _ReportOnly), key=lambda t: t.id)))


def _run(root: Path, branch: str, **kw) -> gitbranch.BranchResult:
    options = RunOptions(fix=True, safe_only=kw.pop("safe_only", False))
    return gitbranch.create_fix_branch(branch, None, options, cwd=str(root), **kw)


def test_one_commit_per_rule_in_rule_order(tmp_path, extra_rules):
    root = tmp_path / "repo"
    a = module("Multi.A").replace("# the process is gone 0", "# TODO the process is gone")
    files = {"lib/a.ex": a, "lib/b.ex": "defmodule Multi.B do\n  # TODO x\n  def f, do: :erlang.halt()\nend\n",
             "lib/c.ex": module("Multi.C")}
    make_repo(root, files)
    base = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)

    result = _run(root, "multi")

    assert result.created
    commits = branch_commits(root, base, "multi")
    assert [c.trailers["Otpfix-Rule"] for c in commits] == ["aaa-test-todo", "demonitor-down"]
    assert [c.sha for c in commits] == [c.sha for c in result.commits]
    todo, down = commits
    assert todo.subject == "otpfix: aaa-test-todo: Turn TODO comments into FIXME comments..."
    assert len(todo.subject) < 72
    assert todo.files == ["lib/a.ex", "lib/b.ex"]
    assert "(unsafe fixes;" in todo.message
    assert down.files == ["lib/a.ex", "lib/c.ex"]
    assert down.parent == todo.sha
    # Each commit is exactly its rule's change.
    diff1 = git_out(root, "diff", "-U0", base, todo.sha)
    assert [l for l in diff1.splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---")] == [
        "-    # TODO the process is gone", "+    # FIXME the process is gone",
        "-  # TODO x", "+  # FIXME x",
    ]
    diff2 = git_out(root, "diff", "-U0", todo.sha, down.sha)
    added = [l[1:] for l in diff2.splitlines() if l.startswith("+") and not l.startswith("+++")]
    removed = [l[1:] for l in diff2.splitlines() if l.startswith("-") and not l.startswith("---")]
    head = "  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do"
    assert removed == [head, head]  # the ignored ref gets a name...
    assert added == [head.replace("_ref", "ref"), FIXED_LINE.rstrip("\n")] * 2  # ...and is released
    assert [f.rule for f in result.remaining] == ["zzz-test-report"]
    body = gitbranch.render_pr_body(result)
    assert "Unsafe: reviewers must check the child order." in body
    assert "## Left for manual review" in body and "`lib/b.ex:3` `zzz-test-report`: halts the VM" in body
    assert_untouched(before, snapshot(root), "multi")


def test_safe_only_skips_unsafe_rules(tmp_path, extra_rules):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Safe.A").replace("# the process", "# TODO the process")})
    base = git_out(root, "rev-parse", "HEAD").strip()
    _run(root, "safe", safe_only=True)
    assert [c.trailers["Otpfix-Rule"] for c in branch_commits(root, base, "safe")] == ["demonitor-down"]


def test_interrupt_leaves_no_branch(tmp_path, extra_rules, monkeypatch):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Int.A").replace("# the process", "# TODO the process")})
    before = snapshot(root)
    real = gitbranch._commit_rule
    calls = []

    def interrupted(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C after the first rule's commit was written
        return real(*args, **kw)

    monkeypatch.setattr(gitbranch, "_commit_rule", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(root, "interrupted")
    assert len(calls) == 2
    assert not branch_exists(root, "interrupted")
    assert snapshot(root) == before


def test_sigterm_becomes_keyboard_interrupt():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with gitbranch.interrupts_as_keyboard_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the Python-level handler runs between bytecodes
                pass
    assert signal.getsignal(signal.SIGTERM) == previous


def test_commit_subject_stays_under_72():
    assert gitbranch.commit_subject("x", "Short.") == "otpfix: x: Short"
    long = gitbranch.commit_subject("a-long-rule-id", "Word " * 30)
    assert len(long) < 72 and long.endswith("...")
    assert gitbranch.commit_subject("demonitor-down", registry.get("demonitor-down").summary) == SUBJECT


def test_unreadable_file_is_reported_and_the_rest_committed(tmp_path):
    root = tmp_path / "repo"
    latin1 = module("Bad.Latin").replace("gone", "g\xf6ne").encode("latin-1")
    make_repo(root, {"lib/a.ex": module("Bad.A"), "lib/latin1.ex": latin1})
    base = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "partial", cwd=root)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "lib/latin1.ex: error: not valid UTF-8" in err
    [c] = branch_commits(root, base, "partial")
    assert c.files == ["lib/a.ex"]
    assert blob(root, "partial", "lib/latin1.ex") == latin1
    assert_untouched(before, snapshot(root), "partial")


def test_untracked_path_and_force_without_fixes(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": clean_module("Untracked.A")})
    write(root, {"lib/new.ex": module("Untracked.New")})
    git_out(root, "branch", "fixes")
    tip = git_out(root, "rev-parse", "fixes").strip()
    before = snapshot(root)
    proc = otpfix("fix", "--branch", "fixes", "--force", "lib/new.ex", "lib/a.ex", cwd=root)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "warning: lib/new.ex: not in the committed tree of main; skipped" in err
    assert "uncommitted changes (1 untracked under the given paths)" in err
    assert "nothing to fix in 1 file" in err
    assert "the existing branch fixes is left as it is" in err
    assert git_out(root, "rev-parse", "fixes").strip() == tip
    assert snapshot(root) == before


@pytest.mark.parametrize("size", [0, 15, 16, 2047, 2048, 300_000])
def test_object_store_writes_exact_objects(tmp_path, size):
    root = tmp_path / "repo"
    repo = make_repo(root, {"README": "x\n"})
    store = gitbranch.ObjectStore(repo)
    data = bytes((i * 7) % 256 for i in range(size))
    sha = store.stage("blob", data)
    tree = store.stage("tree", b"100644 f\0" + sha)
    store.flush()
    assert git_out(root, "cat-file", "blob", sha.hex(), binary=True) == data
    assert git_out(root, "hash-object", "--stdin", input=data).strip() == sha.hex()
    assert git_out(root, "ls-tree", tree.hex()) == f"100644 blob {sha.hex()}\tf\n"
    repo.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_real_interrupts_leave_a_consistent_state(tmp_path, sig):
    """Interrupt the real CLI at several moments: every time, either no branch exists and
    the message says so, or the complete branch exists and the report was printed; the
    checkout is untouched and no process is left behind (the run ends within the timeout)."""
    import time

    root = tmp_path / "repo"
    files = {}
    for i in range(1200):
        name = f"lib/p{i % 30}/m{i}.ex"
        files[name] = module(f"Sig.M{i}") if i % 4 == 0 else clean_module(f"Sig.M{i}") + "# x\n" * 30
    make_repo(root, files)
    base = git_out(root, "rev-parse", "HEAD").strip()
    before = snapshot(root)
    start = time.monotonic()
    proc = otpfix("fix", "--branch", "probe", cwd=root)
    full = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr.decode()
    git_out(root, "branch", "-D", "probe")
    outcomes = set()
    # Later fractions are only used while no run was interrupted yet (a loaded machine).
    fractions = [0.3, 0.45, 0.6, 0.75, 0.85, 0.95]
    extra = [0.35, 0.4, 0.5, 0.55, 0.65, 0.7]
    for fraction in fractions + extra:
        if fraction in extra and (130, False) in outcomes:
            break
        child = subprocess.Popen(
            [sys.executable, "-c", "from otpfix.cli import main; main()", "fix", "--branch", "sig"],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        time.sleep(full * fraction)
        child.send_signal(sig)
        out, err = child.communicate(timeout=60)
        text = err.decode()
        exists = branch_exists(root, "sig")
        if exists:
            assert "created branch sig with 1 commit" in text
            [c] = branch_commits(root, base, "sig")
            assert c.subject == SUBJECT and len(c.files) == 300
            assert child.returncode in (0, 130, -sig)  # -sig: after the guard, while exiting
            if child.returncode == 130:
                assert "interrupted (after branch sig was created, see above)" in text
            git_out(root, "branch", "-D", "sig")
        elif text.strip() == "" or "KeyboardInterrupt" in text.splitlines()[-1:]:
            # Interrupted while Python was still starting up (before otpfix's handlers).
            assert child.returncode in (130, -sig, 1), text
        else:
            assert child.returncode == 130, text
            assert "interrupted; branch sig was not created or changed" in text
            assert "Traceback" not in text and "Exception ignored" not in text
        outcomes.add((child.returncode, exists))
        assert refs_without(snapshot(root), "sig") == refs_without(before, "sig")
    assert (130, False) in outcomes, outcomes  # at least one run was really interrupted
    assert snapshot(root) == before
    assert git_out(root, "fsck", "--no-dangling").strip() == ""


def test_linked_worktree(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"lib/a.ex": module("Linked.A")})
    linked = tmp_path / "linked"
    git_out(root, "worktree", "add", "-q", "-b", "feature", str(linked))
    write(linked, {"lib/b.ex": module("Linked.B")})
    git_out(linked, "add", "-A")
    git_out(linked, "commit", "-q", "-m", "feature work")
    feature = git_out(linked, "rev-parse", "HEAD").strip()
    write(linked, {"lib/a.ex": "# dirty in the linked worktree\n"})
    before_main, before_linked = snapshot(root), snapshot(linked)

    proc = otpfix("fix", "--branch", "feature-fixes", cwd=linked)

    assert proc.returncode == 0, proc.stderr.decode()
    assert "on feature (" in proc.stderr.decode()
    [c] = branch_commits(linked, feature, "feature-fixes")
    assert_demonitor_commit(c, ["lib/a.ex", "lib/b.ex"], {"lib/a.ex": 1, "lib/b.ex": 1})
    assert_untouched(before_linked, snapshot(linked), "feature-fixes")
    assert_untouched(before_main, snapshot(root), "feature-fixes")
    # Branches checked out in either worktree are never moved.
    for name, where in (("main", root), ("feature", linked)):
        proc = otpfix("fix", "--branch", name, "--force", cwd=linked)
        assert proc.returncode == 2
        assert f"is checked out in {where}" in proc.stderr.decode()


def test_branch_with_verify_checks_rewrites_with_elixir(tmp_path, monkeypatch):
    from conftest import require_elixir

    require_elixir()
    root = tmp_path / "repo"
    make_repo(root, {"lib/app/a.ex": module("App.A", downs=1)})
    base = git_out(root, "rev-parse", "HEAD").strip()
    proc = otpfix("fix", "--branch", "otpfix/verified", "--verify", cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(branch_commits(root, base, "otpfix/verified")) == 1

    # A rewrite Elixir rejects is dropped: no commit, and the error names Elixir's message.
    from otpfix import verify as verify_mod

    real = verify_mod.check_sources

    def reject_after(sources, mode="parse", timeout=600):
        verdicts = real(sources, mode, timeout)
        return {k: ("line 1: rejected for the test" if k.startswith("after:") else v) for k, v in verdicts.items()}

    monkeypatch.setattr(verify_mod, "check_sources", reject_after)
    result = gitbranch.create_fix_branch(
        "otpfix/rejected", None, RunOptions(fix=True), cwd=str(root), verify=True
    )
    assert result.commits == [] and not result.created
    assert any("Elixir cannot parse the fixed file" in message for _path, message in result.errors)
