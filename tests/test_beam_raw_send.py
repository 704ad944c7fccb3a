"""Real BEAM: what raw-send's message claims about a hand-rolled request/reply."""

from __future__ import annotations

from conftest import run_elixir
from golden_cases import GOLDEN

SCRIPT = """
mod = Golden.RawSend.HandRolledCall

# A dead target: the hand-rolled call waits for its whole timeout (1 s in ping/1) ...
dead = spawn(fn -> :ok end)
ref = Process.monitor(dead)
receive do: ({:DOWN, ^ref, _, _, _} -> :ok)
{micros, :pang} = :timer.tc(fn -> mod.ping(dead) end)
IO.puts("raw dead ms>=900: #{micros >= 900_000}")

# ... where GenServer.call fails at once.
{micros, {:exit, {:noproc, _}}} =
  :timer.tc(fn ->
    try do
      GenServer.call(dead, :ping, 1_000)
    catch
      :exit, reason -> {:exit, reason}
    end
  end)
IO.puts("call dead ms<100: #{micros < 100_000}")

# A slow target: the reply arrives after the caller gave up and stays in its mailbox.
slow =
  spawn(fn ->
    receive do
      {:ping, {from, ref}} ->
        Process.sleep(1_300)
        send(from, {ref, :pong})
    end
  end)
:pang = mod.ping(slow)
Process.sleep(600)
stale =
  receive do
    {r, :pong} when is_reference(r) -> 1
  after
    0 -> 0
  end
IO.puts("stale replies: #{stale}")
"""


def test_hand_rolled_call_waits_on_dead_targets_and_leaks_late_replies(tmp_path):
    source = (GOLDEN / "raw-send" / "hand_rolled_call.ex").read_bytes()
    proc = run_elixir(tmp_path, SCRIPT, {"hand_rolled_call.ex": source})
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.splitlines() if ":" in l]
    assert lines == ["raw dead ms>=900: true", "call dead ms<100: true", "stale replies: 1"], proc.stdout
