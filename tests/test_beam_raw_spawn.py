"""Real BEAM: the raw-spawn fix puts the work under the named Task.Supervisor."""

from __future__ import annotations

from conftest import run_elixir
from golden_cases import GOLDEN

SCRIPT = """
{:ok, _} = Task.Supervisor.start_link(name: Golden.RawSpawn.Tasks)
count = fn -> length(Task.Supervisor.children(Golden.RawSpawn.Tasks)) end

load = fn path ->
  [{mod, _}] = Code.compile_file(path)
  mod
end

mod = load.(ORIGINAL)
:ok = mod.notify(:alice)
{:noreply, :state} = mod.handle_cast({:notify, :bob}, :state)
IO.puts("original supervised: #{count.()}")
:code.purge(mod)
:code.delete(mod)

mod = load.(FIXED)
:ok = mod.notify(:alice)
{:noreply, :state} = mod.handle_cast({:notify, :bob}, :state)
IO.puts("fixed supervised: #{count.()}")
"""


def test_fixed_spawn_runs_under_the_task_supervisor(tmp_path):
    original = GOLDEN / "raw-spawn" / "fix_fn.ex"
    fixed = GOLDEN / "raw-spawn" / "fix_fn.expected.ex"
    script = SCRIPT.replace("ORIGINAL", f'"{original}"').replace("FIXED", f'"{fixed}"')
    proc = run_elixir(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stdout.splitlines() if "supervised" in l]
    # The original's two processes are invisible to the supervisor; the fixed ones are its
    # children (still sleeping in deliver/1 when counted).
    assert lines == ["original supervised: 0", "fixed supervised: 2"], proc.stdout
