"""The multi-file engine under hazards: a file that changes during the run, a worker that
dies while collecting facts. Nothing wrong may reach the cache, and what cannot be done is
said on the file (regressions found in review of the shared pool and the files finished
by the collect rounds)."""

from __future__ import annotations

from pathlib import Path

from otpfix import api
from otpfix.types import FileResult, RunOptions
from scale_helpers import crash_worker_on

A_BEFORE = """defmodule App.A do
  def hide(v), do: Process.put(:k, v)
  def boom(x), do: raise ArgumentError, "x"
end
"""
# After the change a rescue in a.ex calls App.C.fail (c.ex: raises KeyError): narrow-rescue
# now checks a.ex, and needs c.ex's facts.
A_AFTER = """defmodule App.A do
  def hide(v), do: Process.put(:k, v)
  def boom(x), do: raise ArgumentError, "x"

  def safe(x) do
    try do
      App.C.fail(x)
    rescue
      e -> {:error, e}
    end
  end
end
"""
B = """defmodule App.B do
  def run(x) do
    try do
      App.A.boom(x)
    rescue
      e -> {:error, e}
    end
  end
end
"""
C = """defmodule App.C do
  def fail(m), do: Map.fetch!(m, :k)
end
"""


def _write(root: Path, files: dict[str, str]) -> None:
    (root / "lib").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / "lib" / name).write_text(text)


def _shown(run: api.Run) -> list:
    return [(r.path, [(f.rule, f.span.line, f.message) for f in r.findings], r.error) for r in run.results]


def test_a_file_that_changes_during_the_run_is_left_alone(tmp_path, monkeypatch):
    """a.ex is left for later by the first pass (parsed for process-dict, a provider); it
    changes before the rounds finish it, into a file narrow-rescue checks. Finished with no
    facts its answer would be wrong and cached: it is left alone instead, and the next
    run (warm) equals an uncached one."""
    _write(tmp_path, {"a.ex": A_BEFORE, "b.ex": B, "c.ex": C})
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    options = RunOptions(select=select, cache_dir=str(tmp_path / ".cache"))
    collect_wanted = api._collect_wanted

    def change_then_collect(*args, **kwargs):
        (tmp_path / "lib/a.ex").write_text(A_AFTER)
        return collect_wanted(*args, **kwargs)

    monkeypatch.setattr(api, "_collect_wanted", change_then_collect)
    during = api.run(["lib"], options)
    monkeypatch.setattr(api, "_collect_wanted", collect_wanted)
    a = next(r for r in during.results if r.path == "lib/a.ex")
    assert a.error == api.CHANGED_DURING_RUN and not a.findings and a.original is None
    warm = api.run(["lib"], options)
    uncached = api.run(["lib"], RunOptions(select=select))
    assert _shown(warm) == _shown(uncached)
    assert any("only KeyError" in f.message for r in warm.results if r.path == "lib/a.ex" for f in r.findings)


def _crash_tree(root: Path) -> None:
    files = {
        "a.ex": "defmodule App.A do\n  def boom(x), do: App.C.fail(x)\nend\n",
        "b.ex": (
            "defmodule App.B do\n  def run(x) do\n    try do\n      App.A.boom(x)\n"
            "      App.D.go(x)\n    rescue\n      e -> {:error, e}\n    end\n  end\nend\n"
        ),
        "d.ex": "defmodule App.D do\n  def go(x), do: x\nend\n",
        "c.ex": "defmodule App.C do\n  def fail(m), do: Map.fetch!(m, :k)\nend\n",
    }
    for i in range(45):  # enough files for a pool
        files[f"m{i}.ex"] = f"defmodule App.M{i} do\n  def f(x), do: x\nend\n"
    _write(root, files)


def _crash_collecting_a(monkeypatch):
    """The worker collecting a.ex's facts dies; returns the real `collect_facts`."""
    return crash_worker_on(monkeypatch, api, "collect_facts", "/a.ex")


def test_facts_lost_with_a_worker_are_not_cached_as_complete(tmp_path, monkeypatch):
    """A worker dies while collecting a.ex: b.ex is checked without what a.ex leads to
    (c.ex); the cache must not remember that incomplete set of collected files, so the
    next run collects them and equals an uncached run."""
    _crash_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    options = RunOptions(select=("narrow-rescue",), jobs=2, cache_dir=str(tmp_path / ".cache"))
    collect_facts = _crash_collecting_a(monkeypatch)
    crashed = api.run(["lib"], options)
    monkeypatch.setattr(api, "collect_facts", collect_facts)
    assert next(r for r in crashed.results if r.path == "lib/a.ex").error == api.FACTS_LOST
    warm = api.run(["lib"], options)
    assert _shown(warm) == _shown(api.run(["lib"], RunOptions(select=("narrow-rescue",))))
    assert any("only KeyError" in f.message for f in warm.findings)


def test_files_left_for_later_survive_a_crash_in_their_round(tmp_path, monkeypatch):
    """A worker dies in the collect round that also finishes files left for later (the
    45 modules b.ex calls, parsed for process-dict): those not finished when the pool
    broke are finished by the last pass instead, with the findings of a run without the
    crash (their facts, lost, are said lost)."""
    _crash_tree(tmp_path)
    calls = "".join(f"      App.M{i}.f(x)\n" for i in range(45))
    (tmp_path / "lib/b.ex").write_text(
        "defmodule App.B do\n  def run(x) do\n    try do\n      App.A.boom(x)\n"
        f"{calls}    rescue\n      e -> {{:error, e}}\n    end\n  end\nend\n"
    )
    for i in range(45):
        (tmp_path / f"lib/m{i}.ex").write_text(
            f"defmodule App.M{i} do\n  def f(x), do: x\n  def hide(v), do: Process.put(:k, v)\nend\n"
        )
    # The largest file of the round is sent first: a.ex crashes before the others are done.
    (tmp_path / "lib/a.ex").write_text("# padding\n" * 3000 + (tmp_path / "lib/a.ex").read_text())
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    expected = {r.path: r.findings for r in api.run(["lib"], RunOptions(select=select)).results}
    _crash_collecting_a(monkeypatch)
    run = api.run(["lib"], RunOptions(select=select, jobs=2))
    hidden = [r for r in run.results if r.path.startswith("lib/m")]
    assert len(hidden) == 45
    assert all(r.error in (None, api.FACTS_LOST) for r in hidden), {r.error for r in hidden}
    assert all(r.findings == expected[r.path] and r.findings for r in hidden)


def _filler_tree(root: Path) -> None:
    """b.ex's rescue leads to a.ex (long: its collect keeps one worker busy), which leads
    to c.ex; 45 small modules that process-dict checks are left for later by the first
    pass (their facts could be wanted): idle workers finish them while the rounds run."""
    _crash_tree(root)
    (root / "lib/a.ex").write_text(
        "defmodule App.A do\n" + "".join(f"  def f{i}(x), do: x + {i}\n" for i in range(3000))
        + "  def boom(x), do: App.C.fail(x)\nend\n"
    )
    for i in range(45):
        (root / f"lib/m{i}.ex").write_text(
            f"defmodule App.M{i} do\n  def f(x), do: x\n  def hide(v), do: Process.put(:k, v)\nend\n"
        )


class _CountingFiller(api._Filler):
    taken: list = []

    def __init__(self, method, take, broken):
        def counted():
            got = take()
            if got is not None:
                _CountingFiller.taken.append(got[0])
            return got

        super().__init__(method, counted, broken)


def test_idle_workers_finish_files_left_for_later(tmp_path, monkeypatch):
    """While a round waits for a.ex, the other worker finishes files left for later
    (`_Filler`): the results are those of a serial run, cold and from the cache."""
    _filler_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    serial = api.run(["lib"], RunOptions(select=select))
    monkeypatch.setattr(api, "_Filler", _CountingFiller)
    _CountingFiller.taken = []
    options = RunOptions(select=select, jobs=2, cache_dir=str(tmp_path / ".cache"))
    cold = api.run(["lib"], options)
    assert _CountingFiller.taken, "no file was finished by an idle worker"
    assert _shown(cold) == _shown(serial)
    assert sum(1 for r in cold.results if r.path.startswith("lib/m") and r.findings) == 45
    assert _shown(api.run(["lib"], options)) == _shown(serial)


def test_a_worker_dying_on_a_filler_file(tmp_path, monkeypatch):
    """The worker finishing m0.ex for an idle round dies (the first filler file: all are
    the same size, the lowest index goes first). As for any crash (test_parallel), it
    costs the files of its pass not finished yet: m0.ex and the other filler files then
    running go to the last pass, where m0.ex kills a worker again, and the files of that
    pass not finished yet say so too. The files whose collect ran in the broken pool say
    that their facts were lost (b.ex, which reads them, was checked without them, as that
    message says). Every other file has the results of a serial run."""
    _filler_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    serial = {r.path: r for r in api.run(["lib"], RunOptions(select=select)).results}
    monkeypatch.setattr(api, "_Filler", _CountingFiller)
    _CountingFiller.taken = []
    crash_worker_on(monkeypatch, api, "process_source", "/m0.ex")
    run = api.run(["lib"], RunOptions(select=select, jobs=2))
    assert _CountingFiller.taken and run.results[[r.path for r in run.results].index("lib/m0.ex")].error
    lost = {r.path for r in run.results if r.error == api.FACTS_LOST}
    assert lost <= {"lib/a.ex", "lib/d.ex"}, lost
    crashed = {r.path for r in run.results if r.error and "crashed" in r.error}
    assert "lib/m0.ex" in crashed and len(crashed) < 20, crashed
    for r in run.results:
        if r.path in crashed or r.path in lost or (r.path == "lib/b.ex" and lost):
            continue
        assert r.error is None and r.findings == serial[r.path].findings, r.path


def test_the_rounds_write_the_cache_during_the_last_pass(tmp_path, monkeypatch):
    """No cache write between two collect rounds (the workers would wait for it): the
    rounds' entries are written once the last pass has started, and a warm run finds
    them all (no file is parsed)."""
    from otpfix import cache as cache_mod, syntax

    _filler_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    events: list[str] = []
    collect_wanted, put_many, put_stats = api._collect_wanted, cache_mod.Store.put_many, cache_mod.Store.put_stats

    def rounds(*args, **kwargs):
        events.append("rounds")
        try:
            return collect_wanted(*args, **kwargs)
        finally:
            events.append("rounds done")

    monkeypatch.setattr(api, "_collect_wanted", rounds)
    monkeypatch.setattr(cache_mod.Store, "put_many", lambda self, *a, **k: (events.append("write"), put_many(self, *a, **k)))
    monkeypatch.setattr(cache_mod.Store, "put_stats", lambda self, *a, **k: (events.append("write"), put_stats(self, *a, **k)))
    select = ("narrow-rescue", "process-dict")
    options = RunOptions(select=select, jobs=2, cache_dir=str(tmp_path / ".cache"))
    cold = api.run(["lib"], options)
    assert events.index("rounds") < events.index("rounds done")
    during = events[events.index("rounds") : events.index("rounds done")]
    assert "write" not in during, events
    assert "write" in events[events.index("rounds done") :]
    serial = api.run(["lib"], RunOptions(select=select))
    parses: list[bytes] = []
    parse = syntax.parse
    monkeypatch.setattr(syntax, "parse", lambda data, *a, **k: (parses.append(data), parse(data, *a, **k))[1])
    warm = api.run(["lib"], options)
    assert _shown(warm) == _shown(cold) == _shown(serial)
    assert parses == []


def test_a_filler_file_taken_when_the_pool_breaks_is_finished(tmp_path, monkeypatch):
    """The pool breaks (a worker dies) right when an idle worker's next file is taken:
    it cannot be sent, so it goes back to the files left for later and the last pass
    finishes it (before, it was never finished: its result was a placeholder)."""
    import os
    import signal
    import time

    _filler_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    serial = {r.path: r for r in api.run(["lib"], RunOptions(select=select)).results}
    pools: list = []

    class Pool(api._Pool):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)

    class KillingFiller(api._Filler):
        def __init__(self, method, take, broken):
            def kill_then_take():
                executor = pools[0]._executor
                os.kill(next(iter(executor._processes)), signal.SIGKILL)
                deadline = time.monotonic() + 10
                while not executor._broken and time.monotonic() < deadline:
                    time.sleep(0.01)
                return take()

            super().__init__(method, kill_then_take, broken)

    monkeypatch.setattr(api, "_Pool", Pool)
    monkeypatch.setattr(api, "_Filler", KillingFiller)
    run = api.run(["lib"], RunOptions(select=select, jobs=2))
    assert all(isinstance(r, FileResult) for r in run.results)
    for r in run.results:
        if r.error is None and r.path.startswith("lib/m"):
            assert r.findings == serial[r.path].findings


def test_a_filler_crash_does_not_cost_the_next_round(tmp_path, monkeypatch):
    """Files left for later keep idle workers busy while this process plans the next
    round, whose files queue behind them. When such a file kills its worker, the next
    round's files (which never ran on it) are run again in a new pool: their facts are
    not lost, and the checked file gets the findings of a serial run."""
    import time

    _filler_tree(tmp_path)
    a = (tmp_path / "lib/a.ex").read_text().replace("App.C.fail(x)", "App.C.fail(x) + App.E.fail(x)")
    (tmp_path / "lib/a.ex").write_text(a)
    (tmp_path / "lib/e.ex").write_text("defmodule App.E do\n  def fail(m), do: Map.fetch!(m, :j)\nend\n")
    monkeypatch.chdir(tmp_path)
    select = ("narrow-rescue", "process-dict")
    serial = {r.path: r for r in api.run(["lib"], RunOptions(select=select)).results}
    armed = tmp_path / "armed"
    pool_map = api._Pool.map

    def map_(self, method, items, *args, **kwargs):
        yield from pool_map(self, method, items, *args, **kwargs)
        if method == "collect" and not armed.exists():
            armed.write_text("1")  # the first round is over: its filler files may die now

    process_source = api.process_source

    def slow_crash(path, *args, **kwargs):
        if "/m" in path:
            time.sleep(0.3)
            if armed.exists():
                os._exit(1)
        return process_source(path, *args, **kwargs)

    import os

    monkeypatch.setattr(api._Pool, "map", map_)
    monkeypatch.setattr(api, "process_source", slow_crash)
    run = api.run(["lib"], RunOptions(select=select, jobs=2))
    core = {r.path: r for r in run.results if not r.path.startswith("lib/m")}
    assert {p: r.error for p, r in core.items() if r.error or r.findings != serial[p].findings} == {}
