"""Unit checks for discarded-monitor, demonitor-on-remove and blocking-callback beyond the
golden cases: deep call graphs, options, test-file skipping, registry metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from otpfix import api, registry
from otpfix.types import RunOptions


def _findings(source: str, rule: str, path: str = "lib/x.ex", options=None, fix=False):
    run = api.run_sources(
        {path: source.encode()},
        RunOptions(select=(rule,), fix=fix, rule_options={rule: options} if options else {}),
    )
    (result,) = run.results
    assert result.error is None, result.error
    return result


def test_blocking_callback_follows_a_very_long_call_chain_without_recursion() -> None:
    n = 3000
    funs = "\n".join(f"  defp f{i}(x), do: f{i + 1}(x)" for i in range(n))
    source = (
        "defmodule Deep do\n  use GenServer\n"
        "  def handle_info(:go, s), do: {:noreply, f0(s)}\n"
        f"{funs}\n  defp f{n}(x) do\n    Process.sleep(1)\n    f0(x)\n  end\nend\n"
    )
    result = _findings(source, "blocking-callback")
    (finding,) = result.findings
    assert finding.span.line == n + 5
    assert "handle_info(:go) -> f0/1 -> f1/1 -> " in finding.message
    assert f"f{n}/1)" in finding.message


def test_blocking_callback_reports_each_site_once_with_the_shortest_path() -> None:
    source = """defmodule Twice do
  use GenServer
  def handle_info(:a, s), do: {:noreply, outer(s)}
  def handle_cast(:b, s), do: {:noreply, slow(s)}
  defp outer(s), do: slow(s)
  defp slow(s) do
    Process.sleep(10)
    s
  end
end
"""
    (finding,) = _findings(source, "blocking-callback").findings
    assert "(handle_cast(:b) -> slow/1)" in finding.message


def test_blocking_callback_options() -> None:
    source = """defmodule Opts do
  use GenServer
  def handle_call(:q, _from, s) do
    receive do
      :x -> :ok
    after
      :infinity -> :ok
    end
    {:reply, MyDb.query(s), s}
  end
end
"""
    default = _findings(source, "blocking-callback").findings
    assert [f.span.line for f in default] == [4]
    extra = _findings(source, "blocking-callback", options={"extra_calls": ["MyDb.query"]}).findings
    assert [f.span.line for f in extra] == [4, 9]
    off = _findings(
        source, "blocking-callback", options={"receive_after": False, "calls": ["MyDb.*"]}
    ).findings
    assert [f.span.line for f in off] == [9]
    with pytest.raises(registry.RegistryError, match="must be a list of strings"):
        _findings(source, "blocking-callback", options={"calls": "Process.sleep"})


@pytest.mark.parametrize("rule", ["discarded-monitor", "demonitor-on-remove", "blocking-callback"])
def test_rules_skip_test_files(rule: str) -> None:
    source = """defmodule T do
  use GenServer
  def handle_call({:sub, pid}, _from, state) do
    ref = Process.monitor(pid)
    Process.monitor(pid)
    Process.sleep(1)
    {:reply, ref, Map.put(state, pid, ref)}
  end
  def handle_call({:unsub, pid}, _from, state), do: {:reply, :ok, Map.delete(state, pid)}
end
"""
    assert _findings(source, rule, path="lib/t.ex").findings, "the rule must see lib/ code"
    assert not _findings(source, rule, path="test/t_test.exs").findings


def test_demonitor_on_remove_fix_is_idempotent_with_several_removals() -> None:
    source = """defmodule Many do
  use GenServer
  def handle_call({:sub, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, %{state | monitors: Map.put(state.monitors, pid, ref)}}
  end
  def handle_call({:unsub, pid}, _from, state), do: {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  def handle_call({:unsub2, pid}, _from, state), do: {:reply, :ok, %{state | monitors: Map.delete(state.monitors, pid)}}
  def handle_call({:unsub_all, pids}, _from, state), do: {:reply, :ok, %{state | monitors: Map.drop(state.monitors, pids)}}
end
"""
    result = _findings(source, "demonitor-on-remove", fix=True)
    assert len(result.findings) == 3
    assert result.notes == ()
    fixed = result.fixed.decode()
    assert fixed.count("defp demonitor_delete(") == 1
    assert fixed.count("defp demonitor_drop(") == 1
    assert "Map.delete(state.monitors" not in fixed
    again = _findings(fixed, "demonitor-on-remove", fix=True)
    assert again.findings == () and again.fixed is None


def test_metadata() -> None:
    for rule in ("discarded-monitor", "demonitor-on-remove", "blocking-callback"):
        cls = registry.get(rule)
        doc = cls.documentation()
        for section in ("## What it does", "## Why", "## Example", "## Fix safety"):
            assert section in doc, (rule, section)
    assert registry.get("demonitor-on-remove").fixable
    assert not registry.get("discarded-monitor").fixable
    assert not registry.get("blocking-callback").fixable


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "legacy_app" / "lib" / "legacy_app"
MY_RULES = ("discarded-monitor", "demonitor-on-remove", "blocking-callback")


def _example_run(fix: bool):
    sources = {name: (EXAMPLE / name).read_bytes() for name in ("subscriptions.ex", "analyzer.ex")}
    return api.run_sources(sources, RunOptions(select=MY_RULES, fix=fix))


def test_example_app_findings() -> None:
    got = sorted(
        (f.path, f.span.line, f.rule, f.fix is not None)
        for r in _example_run(fix=False).results
        for f in r.findings
    )
    assert got == [
        ("analyzer.ex", 10, "blocking-callback", False),  # analyze_now/0 -> GenServer.call(__MODULE__)
        ("analyzer.ex", 27, "blocking-callback", False),  # fun.() in handle_call
        ("analyzer.ex", 47, "blocking-callback", False),  # receive after 5_000 via collect/1
        ("analyzer.ex", 55, "blocking-callback", False),  # :httpc.request via fetch_health/0
        ("subscriptions.ex", 24, "demonitor-on-remove", True),
        ("subscriptions.ex", 29, "discarded-monitor", False),
    ]


def test_example_app_compiles_after_fix(tmp_path) -> None:
    from conftest import run_elixir

    results = _example_run(fix=True).results
    fixed = {r.path: r.fixed or r.original for r in results}
    assert fixed["subscriptions.ex"] != (EXAMPLE / "subscriptions.ex").read_bytes()
    files = {p.name: p.read_bytes() for p in EXAMPLE.glob("*.ex")}
    files.update(fixed)
    # Compile every module of the app together, then check the fixed server end to end.
    script = """
{:ok, _} = LegacyApp.Subscriptions.start_link()
pids = for _ <- 1..10, do: spawn(fn -> receive do :stop -> :ok end end)
Enum.each(pids, &LegacyApp.Subscriptions.subscribe/1)
Enum.each(pids, &LegacyApp.Subscriptions.unsubscribe/1)
{:monitors, left} = Process.info(Process.whereis(LegacyApp.Subscriptions), :monitors)
IO.puts("left=#{length(left)}")
"""
    proc = run_elixir(tmp_path, script, files)
    assert proc.returncode == 0, proc.stderr
    assert "left=0" in proc.stdout
    assert "warning" not in proc.stderr, proc.stderr
