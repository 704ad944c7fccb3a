"""narrow-rescue / broad-catch: options, test-file skipping, alias forms, documentation."""

from __future__ import annotations

import pytest

from otpfix import api, registry
from otpfix.types import RunOptions


def run(source: str, rule: str, path: str = "lib/a.ex", **kw):
    options = RunOptions(select=(rule,), fix=True, **kw)
    (result,) = api.run_sources({path: source.encode()}, options).results
    assert result.error is None
    return result


def fixed_text(result) -> str:
    assert result.fixed is not None, [f.message for f in result.findings]
    return result.fixed.decode()


TEST_SOURCE = """\
defmodule A do
  def f(map) do
    Map.fetch!(map, :k)
  rescue
    _ -> nil
  end
end
"""


@pytest.mark.parametrize("path", ["test/a_test.exs", "apps/x/test/support/a.ex", "lib/a_test.exs"])
def test_test_files_are_skipped_unless_included(path: str) -> None:
    assert run(TEST_SOURCE, "narrow-rescue", path).findings == ()
    included = run(TEST_SOURCE, "narrow-rescue", path, include_tests=True)
    assert "_ in KeyError ->" in fixed_text(included)


def test_multi_alias_and_as_alias_resolve() -> None:
    source = """\
defmodule A do
  alias My.{Parser, Other}
  alias My.Deep.Thing, as: T

  def f(x) do
    x |> Parser.parse!() |> T.load!()
  rescue
    e -> {:error, e}
  end
end
"""
    raisers = {"My.Parser.parse!": ["My.ParseError"], "My.Deep.Thing.load!/1": ["My.LoadError"]}
    result = run(source, "narrow-rescue", rule_options={"narrow-rescue": {"raisers": raisers}})
    assert "e in [My.ParseError, My.LoadError] ->" in fixed_text(result)


def test_arity_specific_raiser_key_uses_the_piped_arity() -> None:
    source = """\
defmodule A do
  def f(x) do
    x |> My.load!(:strict)
  rescue
    e -> {:error, e}
  end
end
"""
    wrong_arity = run(source, "narrow-rescue", rule_options={"narrow-rescue": {"raisers": {"My.load!/1": ["E1"]}}})
    assert wrong_arity.fixed is None
    assert "My.load!/2" in wrong_arity.findings[0].message
    right = run(source, "narrow-rescue", rule_options={"narrow-rescue": {"raisers": {"My.load!/2": ["E2"]}}})
    assert "e in E2 ->" in fixed_text(right)


def test_alias_declared_in_another_function_does_not_leak() -> None:
    source = """\
defmodule A do
  def g do
    alias My.Map
    Map.fetch!(%{}, :k)
  end

  def f(map) do
    Map.fetch!(map, :k)
  rescue
    _ -> nil
  end
end
"""
    assert "_ in KeyError ->" in fixed_text(run(source, "narrow-rescue"))


def test_user_raiser_overrides_the_table() -> None:
    options = {"narrow-rescue": {"raisers": {"Map.fetch!": ["KeyError", "BadMapError"]}}}
    assert "_ in [KeyError, BadMapError] ->" in fixed_text(run(TEST_SOURCE, "narrow-rescue", rule_options=options))


@pytest.mark.parametrize(
    "rule, options",
    [
        ("narrow-rescue", {"raisers": ["Map.fetch!"]}),
        ("narrow-rescue", {"raisers": {"Map.fetch!": [1]}}),
        ("narrow-rescue", {"nope": 1}),
        ("broad-catch", {"exits": "GenServer.call"}),
    ],
)
def test_bad_options_are_usage_errors(rule: str, options: dict) -> None:
    with pytest.raises(registry.RegistryError):
        registry.resolve((rule,), rule_options={rule: options})


def test_exit_in_rescue_body_is_not_swallowing() -> None:
    source = """\
defmodule A do
  def f(map) do
    Map.fetch!(map, :k)
  rescue
    e -> exit({:bad_config, e})
  end
end
"""
    assert run(source, "narrow-rescue").findings == ()


def test_script_without_module_still_works() -> None:
    source = """\
try do
  Map.fetch!(%{}, :k)
rescue
  _ -> :missing
end
"""
    assert "_ in KeyError ->" in fixed_text(run(source, "narrow-rescue", path="priv/script.exs"))


def test_repo_query_is_adapter_specific() -> None:
    source = """\
defmodule A do
  def f(sql) do
    MyApp.Repo.query!(sql)
  rescue
    _ -> nil
  end
end
"""
    result = run(source, "narrow-rescue")
    assert result.fixed is None
    assert "MyApp.Repo.query!/1 (raises the database adapter's exception)" in result.findings[0].message


@pytest.mark.parametrize("rule", ["narrow-rescue", "broad-catch"])
def test_documentation_sections(rule: str) -> None:
    doc = registry.get(rule).documentation()
    for section in ("## What it does", "## Why", "## Example", "## Fix safety", "## Options"):
        assert section in doc
    assert "Unsafe" in doc


def run_many(sources: dict[str, str], rule: str):
    options = RunOptions(select=(rule,), fix=True)
    results = api.run_sources({p: s.encode() for p, s in sources.items()}, options).results
    assert [r.error for r in results if r.error] == []
    return {r.path: r for r in results}


def test_project_function_running_foreign_code_blocks_the_fix_but_still_reports() -> None:
    results = run_many(
        {
            "lib/dispatcher.ex": """\
defmodule Dispatcher do
  def dispatch(handlers, event), do: Enum.each(handlers, fn h -> h.(event) end)
end
""",
            "lib/user.ex": """\
defmodule User do
  def notify(handlers) do
    Dispatcher.dispatch(handlers, :saved)
  rescue
    _ -> :ok
  end
end
""",
        },
        "narrow-rescue",
    )
    user = results["lib/user.ex"]
    assert user.fixed is None
    (finding,) = user.findings
    assert "h.() (via Dispatcher.dispatch/2) (runs code chosen at runtime)" in finding.message


def test_project_facts_follow_private_helpers_and_cycles() -> None:
    results = run_many(
        {
            "lib/a.ex": """\
defmodule A do
  def go(x), do: step(x)
  defp step(0), do: B.back(0)
  defp step(x), do: x |> Integer.to_string() |> String.to_existing_atom()
end
""",
            "lib/b.ex": """\
defmodule B do
  def back(x), do: A.go(x + 1)

  def safe(x) do
    A.go(x)
  rescue
    _ -> nil
  end
end
""",
        },
        "narrow-rescue",
    )
    assert "_ in ArgumentError ->" in fixed_text(results["lib/b.ex"])


def test_broad_catch_resolves_a_client_api_in_another_file() -> None:
    results = run_many(
        {
            "lib/cache.ex": """\
defmodule Cache do
  def get(key), do: GenServer.call(__MODULE__, {:get, key})
end
""",
            "lib/page.ex": """\
defmodule Page do
  def title(id) do
    Cache.get({:title, id})
  catch
    _, _ -> "untitled"
  end
end
""",
        },
        "broad-catch",
    )
    assert ":exit, _ ->" in fixed_text(results["lib/page.ex"])
