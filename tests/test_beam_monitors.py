"""Real-BEAM proof for demonitor-on-remove: the fixed golden output releases its monitors.

The golden case `golden/demonitor-on-remove/unsubscribe.ex` is a subscription server whose
unsubscribe drops the ref without `Process.demonitor`. After 100 subscribe + unsubscribe
calls the original still holds 100 monitors; the expected (fixed) output holds none, and
both end in the same state.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_elixir
from golden_cases import GOLDEN, run_case, discover

CASE = GOLDEN / "demonitor-on-remove" / "unsubscribe.ex"
EXPECTED = GOLDEN / "demonitor-on-remove" / "unsubscribe.expected.ex"

SCRIPT = r"""
alias Golden.DemonitorOnRemove.Unsubscribe, as: Server

{:ok, server} = Server.start_link()
pids = for _ <- 1..100, do: spawn(fn -> receive do :stop -> :ok end end)
Enum.each(pids, &Server.subscribe(server, &1))
{:monitors, subscribed} = Process.info(server, :monitors)
Enum.each(pids, &Server.unsubscribe(server, &1))
{:monitors, left} = Process.info(server, :monitors)
state = :sys.get_state(server)
Enum.each(pids, &send(&1, :stop))
IO.puts("subscribed=#{length(subscribed)} left=#{length(left)} state=#{inspect(state)}")
"""


def _observe(tmp_path: Path, module: bytes) -> str:
    proc = run_elixir(tmp_path, SCRIPT, {"server.ex": module})
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.splitlines() if l.startswith("subscribed=")]
    assert len(lines) == 1, proc.stdout
    return lines[0]


def test_golden_expected_is_what_otpfix_produces() -> None:
    case = next(c for c in discover() if c.id == "demonitor-on-remove/unsubscribe")
    (result,) = run_case(case)
    assert result.fixed == EXPECTED.read_bytes()


def test_unsubscribe_releases_monitors_after_fix(tmp_path: Path) -> None:
    fixed = _observe(tmp_path / "fixed", EXPECTED.read_bytes())
    assert fixed == "subscribed=100 left=0 state=%{count: 100, monitors: %{}}"


def test_original_leaks_one_monitor_per_unsubscribe(tmp_path: Path) -> None:
    original = _observe(tmp_path / "original", CASE.read_bytes())
    assert original == "subscribed=100 left=100 state=%{count: 100, monitors: %{}}"


SELF_CALL = GOLDEN / "blocking-callback" / "self_call.ex"

SELF_CALL_SCRIPT = r"""
Process.flag(:trap_exit, true)
{:ok, server} = Golden.BlockingCallback.SelfCall.start_link([])
send(server, :tick)

receive do
  {:EXIT, ^server, {reason, _}} -> IO.puts("exit=#{inspect(reason)}")
after
  5000 -> IO.puts("exit=none")
end
"""


def test_self_call_reported_by_blocking_callback_exits_calling_self(tmp_path: Path) -> None:
    """The finding's claim: handle_info(:tick) -> refresh/0 -> GenServer.call(__MODULE__)
    makes the server exit with :calling_self."""
    case = next(c for c in discover() if c.id == "blocking-callback/self_call")
    (result,) = run_case(case)
    assert any("refresh/0" in f.message and ":calling_self" in f.message for f in result.findings)
    proc = run_elixir(tmp_path, SELF_CALL_SCRIPT, {"server.ex": SELF_CALL.read_bytes()})
    assert "exit=:calling_self" in proc.stdout, proc.stdout + proc.stderr
