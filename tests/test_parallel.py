"""--jobs: a process pool gives exactly the serial results, in the same order."""

from __future__ import annotations

import pytest

from otpfix import api, report
from otpfix.types import RunOptions
from scale_helpers import crash_worker_on, generate_tree, register_test_rule

RULES = ("demonitor-down", "test-remote-calls")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    register_test_rule(monkeypatch)
    generate_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def pool_sizes(monkeypatch):
    """The number of processes each phase really used."""
    used: list[int] = []
    original = api.effective_jobs

    def spy(requested, files):
        jobs = original(requested, files)
        used.append(jobs)
        return jobs

    monkeypatch.setattr(api, "effective_jobs", spy)
    return used


@pytest.mark.parametrize("fix", [False, True], ids=["scan", "fix"])
def test_parallel_results_identical_to_serial(tree, pool_sizes, fix):
    serial = api.run(["lib", "test"], RunOptions(select=RULES, fix=fix, jobs=1))
    parallel = api.run(["lib", "test"], RunOptions(select=RULES, fix=fix, jobs=3))
    assert pool_sizes == [1, 1, 1, 3, 3, 3]  # first, collect, check: serial, then in 3 processes
    assert len(serial.results) == 156
    assert [r.path for r in parallel.results] == [r.path for r in serial.results]
    assert parallel.results == serial.results  # every field: findings, fixes, errors, bytes
    assert report.render_json(parallel.results) == report.render_json(serial.results)
    # The run found what the tree holds: cross-file facts were merged in both runs.
    rules = {f.rule for f in serial.findings}
    assert rules == set(RULES)
    assert any(r.error and "UTF-8" in r.error for r in serial.results)
    if fix:
        assert sum(1 for r in serial.results if r.changed) > 40
    # Results hold no tree (tree-sitter nodes and trees cannot be pickled), and `original`
    # is kept only where a fix needs it.
    import pickle

    pickle.dumps(serial.results)
    for r in serial.results:
        needed = r.fixed is not None or any(f.fix for f in r.findings)
        assert (r.original is not None) == bool(needed) or (r.original is None and r.error), r.path


def test_project_facts_merged_in_file_order(tree, monkeypatch):
    """The facts a project rule sees are the same mapping, in the same (file) order, in a
    pool as serially: the rule reports the order it sees, from inside the workers."""
    from scale_helpers import RemoteCalls

    def report_order(self, ctx):
        if ctx.path == "lib/part0/m0.ex":
            order = ",".join(f"{p}:{sorted(f['modules'])}" for p, f in ctx.project.items())
            yield ctx.finding((0, 1), order)

    monkeypatch.setattr(RemoteCalls, "check", report_order)
    serial = api.run(["lib"], RunOptions(select=RULES, jobs=1))
    parallel = api.run(["lib"], RunOptions(select=RULES, jobs=2))
    (seen,) = [f.message for f in serial.findings if f.rule == "test-remote-calls"]
    expected = [r.path for r in serial.results if "UTF-8" not in (r.error or "")]
    assert [item.split(":")[0] for item in seen.split(",")] == expected
    assert parallel.results == serial.results


def test_small_runs_stay_serial(tmp_path, pool_sizes):
    (tmp_path / "a.ex").write_text("defmodule A do\nend\n")
    api.run([str(tmp_path)], RunOptions(select=("demonitor-down",), jobs=8))
    assert pool_sizes == [1]


def test_effective_jobs():
    assert api.effective_jobs(4, 10) == 1
    assert api.effective_jobs(4, 1000) == 4
    assert api.effective_jobs(0, 1000) == api.available_cores()


def test_worker_crash_becomes_file_errors(tree, monkeypatch):
    """A worker that dies (a segfault in a parser) does not take the run down."""
    crash_worker_on(monkeypatch, api, "process_source", "m42.ex")
    run = api.run(["lib"], RunOptions(select=("demonitor-down",), jobs=2))
    assert len(run.results) == 155
    crashed = [r for r in run.results if r.error and "crashed" in r.error]
    assert any(r.path == "lib/part0/m42.ex" for r in crashed)
    assert run.results[0].error is None  # files done before the crash are kept


@pytest.mark.parametrize("where", ["collect_facts", "process_source"])
def test_worker_crash_with_project_rules(tree, monkeypatch, where):
    """With a project-aware rule the first pass and the collect rounds share a pool (a
    crash while collecting) and the last pass has its own (a crash while checking): a
    worker that dies costs the files of its pass that were not finished yet (they get an
    error); a later pass starts a new pool and every other file gets its normal result."""
    expected = api.run(["lib"], RunOptions(select=RULES, jobs=1))
    crash_worker_on(monkeypatch, api, where, "m42.ex")
    starts: list[int] = []
    start = api._Pool._start
    monkeypatch.setattr(api._Pool, "_start", lambda self: (starts.append(1), start(self)))
    run = api.run(["lib"], RunOptions(select=RULES, jobs=2))
    assert len(run.results) == len(expected.results)
    crashed = {r.path for r in run.results if r.error and "crashed" in r.error}
    assert "lib/part0/m42.ex" in crashed
    assert len(crashed) < len(run.results)
    if where == "collect_facts":
        # The files whose facts were lost say so; the checks of the others ran without
        # those facts (their findings may differ: not compared).
        lost = {r.path for r in run.results if r.error == api.FACTS_LOST}
        assert "lib/part0/m42.ex" in lost
        assert starts == [1, 1]  # the shared pool, then the last pass's own
        return
    for got, want in zip(run.results, expected.results):
        if got.path not in crashed:
            assert got == want


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_terminate_stops_the_workers_too(tmp_path, signame):
    """SIGTERM/SIGHUP to `otpfix scan` while its workers run: they stop with it (by
    default the signal ended the main process at once and left the workers waiting
    forever on their queue, holding the caller's output pipes); exit 128 + the signal,
    one line on stderr, no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    sig = getattr(signal, signame)
    lib = tmp_path / "lib"
    lib.mkdir()
    body = "".join(f"  def f{i}(pid), do: Process.put(:k, pid)\n" for i in range(300))
    for i in range(400):
        (lib / f"m{i}.ex").write_text(f"defmodule T.M{i} do\n{body}end\n")
    err = tmp_path / "err.txt"
    with open(err, "wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", "from otpfix.cli import main; main()", "scan", "lib", "--jobs", "2",
             "--no-cache", "--select", "process-dict"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    workers: list[str] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
        children = subprocess.run(["pgrep", "-P", str(child.pid)], capture_output=True, text=True).stdout.split()
        workers = [pid for pid in children if pid.isdigit()]
    assert child.poll() is None and len(workers) >= 2, "the run ended before its workers could be seen"
    child.send_signal(sig)
    code = child.wait(timeout=60)
    time.sleep(0.5)
    left = [pid for pid in workers if os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid)]
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)  # (not left running if this test fails)
    assert left == [] and code == 128 + sig, (left, code)
    text = err.read_text()
    assert text.strip() == "otpfix: interrupted" and "Traceback" not in text


def test_workers_end_when_the_main_process_is_killed(tmp_path):
    """SIGKILL (no handler runs) of `otpfix scan` while its workers run: each worker sees
    the end of its pipe and exits (it holds no copy of the pool's end of any pipe)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    lib = tmp_path / "lib"
    lib.mkdir()
    body = "".join(f"  def f{i}(pid), do: Process.put(:k, pid)\n" for i in range(300))
    for i in range(400):
        (lib / f"m{i}.ex").write_text(f"defmodule K.M{i} do\n{body}end\n")
    child = subprocess.Popen(
        [sys.executable, "-c", "from otpfix.cli import main; main()", "scan", "lib", "--jobs", "2",
         "--no-cache", "--select", "process-dict"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    workers: list[str] = []
    deadline = time.monotonic() + 30
    while len(workers) < 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
        children = subprocess.run(["pgrep", "-P", str(child.pid)], capture_output=True, text=True).stdout.split()
        workers = [pid for pid in children if pid.isdigit()]
    assert child.poll() is None and len(workers) >= 2, "the run ended before its workers could be seen"
    child.kill()
    child.wait(timeout=30)
    deadline = time.monotonic() + 20
    left = workers
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [pid for pid in workers if os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid)]
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)  # (not left running if this test fails)
    assert left == []


def _state(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


@pytest.mark.parametrize("jobs", [1, 3])
def test_a_file_is_parsed_once_across_passes(tree, monkeypatch, jobs):
    """A file parsed in the first pass to learn which facts it wants is collected and then
    checked from that same parse (kept by the process that made it, `api._Trees`; the
    pool sends the file back to that worker): one parse per file in the whole run. With
    nothing kept (a budget of 0) the files are parsed again, and the results are the same."""
    from scale_helpers import ParseLog

    monkeypatch.setattr(api._Pool, "STEAL", False)  # (a worker idle at the end would parse again)
    log = ParseLog(monkeypatch, tree / "parses.log")
    kept = api.run(["lib", "test"], RunOptions(select=RULES, jobs=jobs))
    counts = log.counts()
    assert len(counts) > 140
    assert max(counts.values()) == 1
    monkeypatch.setattr(api, "TREE_BUDGET", 0)
    log = ParseLog(monkeypatch, tree / "parses.log")
    again = api.run(["lib", "test"], RunOptions(select=RULES, jobs=jobs))
    assert sum(log.counts().values()) > 2 * len(counts)  # first pass, collect round, last pass
    assert again.results == kept.results
    assert any(r.findings for r in kept.results)


def test_large_in_memory_sources_in_a_pool(monkeypatch):
    """Chunks of large in-memory sources (more than a pipe holds) go to a worker only when
    it has nothing else in hand: no deadlock, the serial results."""
    register_test_rule(monkeypatch)
    from scale_helpers import module_source

    filler = "\n".join(f"  def f{k}(x), do: x + {k}" for k in range(2000))
    sources = {
        f"lib/m{i}.ex": module_source(i, [i + 1], down=i % 2 == 0).replace("  use GenServer\n", filler + "\n").encode()
        for i in range(60)
    }
    assert min(len(s) for s in sources.values()) > api._Pool.SMALL_MESSAGE
    serial = api.run_sources(sources, RunOptions(select=RULES, jobs=1))
    parallel = api.run_sources(sources, RunOptions(select=RULES, jobs=2))
    assert parallel.results == serial.results
    assert any(r.findings for r in serial.results)
