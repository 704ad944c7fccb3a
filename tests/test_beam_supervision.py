"""Real-BEAM proofs for the supervision rules.

rest-for-one: the golden case golden/rest-for-one/three_children is a tree of three
children where the later two depend on the first (the Reader keeps the Store's pid, the
Writer registers itself in the Store's ETS table). The script starts the tree, kills the
Store and reports what it sees. With the fixed tree (the golden expected output) the
Reader and the Writer get new pids and work again; with the original input they keep
their old pids and are broken.

mix-env-supervision: the fixed golden output compiles and starts without Mix, while the
original input raises because `Mix.env()` is not available outside a Mix project (as in
a release).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_elixir
from golden_cases import GOLDEN

THREE = GOLDEN / "rest-for-one" / "three_children" / "lib"

KILL_FIRST_CHILD = r"""
tree = Golden.RestForOne.Three.Tree
store = Golden.RestForOne.Three.Store
{:ok, sup} = tree.start_link()

pids = fn -> Map.new(Supervisor.which_children(sup), fn {id, pid, _, _} -> {id, pid} end) end
before = pids.()
old_store = before[store]
ref = Process.monitor(old_store)
Process.exit(old_store, :kill)
receive do
  {:DOWN, ^ref, :process, _, _} -> :ok
after
  2000 -> raise "the store did not die"
end

settled =
  Enum.find_value(1..200, fn _ ->
    now = pids.()
    ready = Enum.all?(Map.values(now), &is_pid/1) and now[store] != old_store
    if ready, do: now, else: (Process.sleep(10); nil)
  end) || raise "the tree did not settle"

for id <- [Golden.RestForOne.Three.Store, Golden.RestForOne.Three.Reader, Golden.RestForOne.Three.Writer] do
  IO.puts("restarted #{inspect(id)} #{before[id] != settled[id]}")
end

reader_ok =
  try do
    GenServer.call(Golden.RestForOne.Three.Reader, :ping_store) == :pong
  catch
    :exit, _ -> false
  end

IO.puts("reader_works #{reader_ok}")
IO.puts("writer_registered #{:ets.lookup(:golden_three_table, :writer) != []}")
"""


def _files(fixed: bool) -> dict[str, bytes]:
    out = {}
    for name in ("store.ex", "reader.ex", "writer.ex", "tree.ex"):
        path = THREE / name
        expected = THREE / name.replace(".ex", ".expected.ex")
        out[name] = (expected if fixed and expected.exists() else path).read_bytes()
    return out


def _observe(tmp_path: Path, fixed: bool) -> dict[str, str]:
    proc = run_elixir(tmp_path, KILL_FIRST_CHILD, _files(fixed))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    seen = {}
    for line in proc.stdout.splitlines():
        parts = line.rsplit(" ", 1)
        if len(parts) == 2 and parts[1] in ("true", "false"):
            seen[parts[0]] = parts[1]
    return seen


def test_fixed_tree_restarts_the_dependants(tmp_path: Path) -> None:
    assert b":rest_for_one" in (THREE / "tree.expected.ex").read_bytes()
    seen = _observe(tmp_path, fixed=True)
    assert seen == {
        "restarted Golden.RestForOne.Three.Store": "true",
        "restarted Golden.RestForOne.Three.Reader": "true",
        "restarted Golden.RestForOne.Three.Writer": "true",
        "reader_works": "true",
        "writer_registered": "true",
    }


def test_unfixed_tree_leaves_the_dependants_broken(tmp_path: Path) -> None:
    assert b":one_for_one" in (THREE / "tree.ex").read_bytes()
    seen = _observe(tmp_path, fixed=False)
    assert seen == {
        "restarted Golden.RestForOne.Three.Store": "true",
        "restarted Golden.RestForOne.Three.Reader": "false",
        "restarted Golden.RestForOne.Three.Writer": "false",
        "reader_works": "false",
        "writer_registered": "false",
    }


MIX_ENV_CASE = GOLDEN / "mix-env-supervision" / "if_block_options"

START_WITHOUT_MIX = r"""
result =
  try do
    {:ok, pid} = Golden.MixEnvSupervision.IfBlockOptions.start_link([])
    "started #{Process.alive?(pid)}"
  rescue
    e -> "raised #{inspect(e.__struct__)}"
  end

IO.puts(result)
"""


@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "original"])
def test_mix_env_tree_starts_without_mix(tmp_path: Path, fixed: bool) -> None:
    suffix = ".expected.ex" if fixed else ".ex"
    source = Path(str(MIX_ENV_CASE) + suffix).read_bytes()
    assert (b"Mix.env" in source) is not fixed
    proc = run_elixir(tmp_path, START_WITHOUT_MIX, {"tree.ex": source})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    if fixed:
        assert proc.stdout.strip() == "started true", proc.stdout
    else:
        # Outside a Mix project (as in a release) Mix.env() cannot be called.
        assert proc.stdout.strip().startswith("raised"), proc.stdout
