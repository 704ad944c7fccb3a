"""Real BEAM: the demonitor-down fix keeps the server's behaviour and the call is a no-op
on a monitor that already fired (what its explain text claims)."""

from pathlib import Path

from conftest import run_elixir

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "demonitor-down"

SCRIPT = r"""
mod = Golden.DemonitorDown.UnderscoreRef
{:ok, server} = GenServer.start_link(mod, %{})
pids = for _ <- 1..20, do: spawn(fn -> receive do :stop -> :ok end end)
# Monitors are created inside the server (as the real code would), so :DOWN goes to it.
:sys.replace_state(server, fn state ->
  Enum.reduce(pids, state, fn pid, acc ->
    Process.monitor(pid)
    Map.put(acc, pid, :watching)
  end)
end)
for pid <- pids, do: send(pid, :stop)
Process.sleep(200)
state = :sys.get_state(server)
{:monitors, monitors} = Process.info(server, :monitors)
{:message_queue_len, queue} = Process.info(server, :message_queue_len)
IO.puts("state=#{map_size(state)} monitors=#{length(monitors)} alive=#{Process.alive?(server)} queue=#{queue}")
# The call the fix inserts, on a ref whose monitor already fired, returns true and does nothing.
ref = Process.monitor(spawn(fn -> :ok end))
receive do {:DOWN, ^ref, :process, _, _} -> :ok end
IO.puts("demonitor_after_down=#{Process.demonitor(ref, [:flush])}")
"""


def _run(tmp_path, source: bytes):
    r = run_elixir(tmp_path, SCRIPT, {"server.ex": source})
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()


def test_fixed_server_behaves_like_the_original(tmp_path):
    original = _run(tmp_path / "orig", (GOLDEN / "underscore_ref.ex").read_bytes())
    fixed = _run(tmp_path / "fixed", (GOLDEN / "underscore_ref.expected.ex").read_bytes())
    assert fixed == original
    assert fixed[0] == "state=0 monitors=0 alive=true queue=0"
    assert fixed[1] == "demonitor_after_down=true"
