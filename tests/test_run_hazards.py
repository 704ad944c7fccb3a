"""The multi-file engine under hazards: a file that changes during the run, a worker that
dies while collecting facts. Nothing wrong may reach the cache, and what cannot be done is
said on the file (regressions found in review of the shared pool and the files finished
by the collect rounds)."""

from __future__ import annotations

from pathlib import Path

from otpfix import api
from otpfix.types import RunOptions
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
