"""Real-BEAM proofs for narrow-rescue and broad-catch.

The golden input (original) and its fixed golden output are loaded into Elixir in turn and
exercised with the same calls: the expected failure is still handled exactly as before,
and a caller bug that the original swallowed now propagates.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_elixir
from golden_cases import GOLDEN, run_case, discover

# Each call prints one JSON line: {"call": ..., "result": ...}. `result` is either
# "returned <inspect>" or "raised <Module>" / "exited" / "threw".
PROBE = r"""
probe = fn label, fun ->
  outcome =
    try do
      "returned " <> inspect(fun.())
    rescue
      e -> "raised " <> inspect(e.__struct__)
    catch
      :exit, _ -> "exited"
      :throw, _ -> "threw"
    end

  IO.puts(~s({"call": "#{label}", "result": #{inspect(outcome)}}))
end
"""


def _outcomes(tmp_path: Path, source: bytes, body: str) -> dict[str, str]:
    proc = run_elixir(tmp_path, PROBE + body, {"subject.ex": source})
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            out[item["call"]] = item["result"]
    return out


def _golden(rule: str, name: str) -> tuple[bytes, bytes]:
    original = (GOLDEN / rule / f"{name}.ex").read_bytes()
    expected = (GOLDEN / rule / f"{name}.expected.ex").read_bytes()
    # The committed expected file is what the rule produces today.
    case = next(c for c in discover() if c.id == f"{rule}/{name}")
    assert run_case(case)[0].fixed == expected
    return original, expected


def test_narrow_rescue_keeps_expected_errors_and_lets_bugs_through(tmp_path: Path) -> None:
    original, fixed = _golden("narrow-rescue", "implicit_def")
    calls = r"""
    m = Golden.NarrowRescue.ImplicitDef
    probe.("ok", fn -> m.port(%{port: "8080"}) end)
    probe.("missing key", fn -> {tag, e} = m.port(%{}); {tag, e.__struct__} end)
    probe.("bad number", fn -> {tag, e} = m.port(%{port: "x"}); {tag, e.__struct__} end)
    probe.("caller bug", fn -> m.port(nil) end)
    """
    before = _outcomes(tmp_path / "before", original, calls)
    after = _outcomes(tmp_path / "after", fixed, calls)

    assert before["ok"] == after["ok"] == "returned 8080"
    # Expected errors: handled exactly as before.
    assert before["missing key"] == after["missing key"] == "returned {:error, KeyError}"
    assert before["bad number"] == after["bad number"] == "returned {:error, ArgumentError}"
    # A caller bug (nil instead of a map): the original swallowed it, the fix lets it crash.
    assert before["caller bug"].startswith("returned {:error, %BadMapError{")
    assert after["caller bug"] == "raised BadMapError"


def test_narrow_rescue_multiple_clauses_only_the_catch_all_changes(tmp_path: Path) -> None:
    original, fixed = _golden("narrow-rescue", "multiple_clauses")
    calls = r"""
    m = Golden.NarrowRescue.MultipleClauses
    probe.("missing", fn -> m.read([]) end)
    probe.("invalid", fn -> m.read(timeout: "soon") end)
    probe.("caller bug", fn -> m.read(%{timeout: "1"}) end)
    """
    before = _outcomes(tmp_path / "before", original, calls)
    after = _outcomes(tmp_path / "after", fixed, calls)
    assert before["missing"] == after["missing"] == "returned {:missing, :timeout}"
    assert before["invalid"] == after["invalid"]
    assert after["invalid"].startswith("returned {:invalid, ")
    # Keyword.fetch! on a map is a caller bug (FunctionClauseError).
    assert before["caller bug"].startswith("returned {:invalid, ")
    assert after["caller bug"] == "raised FunctionClauseError"


def test_broad_catch_keeps_exits_and_lets_errors_through(tmp_path: Path) -> None:
    original, fixed = _golden("broad-catch", "implicit_def")
    calls = r"""
    m = Golden.BroadCatch.ImplicitDef
    {:ok, agent} = Agent.start(fn -> %{} end)
    :ok = Agent.stop(agent)
    probe.("server down", fn -> m.lookup(agent, :k) end)
    probe.("caller bug", fn -> m.lookup(123, :k) end)
    """
    before = _outcomes(tmp_path / "before", original, calls)
    after = _outcomes(tmp_path / "after", fixed, calls)
    # The exit the code means to survive: still caught.
    assert before["server down"] == after["server down"] == "returned nil"
    # Not a server at all (a caller bug): raised FunctionClauseError, once swallowed.
    assert before["caller bug"] == "returned nil"
    assert after["caller bug"] == "raised FunctionClauseError"
