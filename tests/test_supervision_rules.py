"""The two supervision rules together, and properties the golden cases cannot express."""

from __future__ import annotations

import pickle

from otpfix import api
from otpfix.registry import get
from otpfix.syntax import Source
from otpfix.transform import Context
from otpfix.types import RunOptions

TREE = b'''defmodule Both.Application do
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      Both.Cache,
      # uses the cache
      Both.Worker
    ]

    opts =
      if Mix.env() == :test do
        [strategy: :one_for_one, max_restarts: 100]
      else
        [
          strategy: :one_for_one, # restart policy
          name: Both.Supervisor
        ]
      end

    Supervisor.start_link(children, opts)
  end
end
'''

CHILDREN = b'''defmodule Both.Cache do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, %{}, name: __MODULE__)
  def init(state), do: {:ok, state}
end

defmodule Both.Worker do
  use GenServer
  def start_link(_), do: GenServer.start_link(__MODULE__, :ok)
  def init(:ok), do: {:ok, GenServer.call(Both.Cache, :get)}
end
'''

PRODUCTION = b'''    opts =
      [
        strategy: :rest_for_one, # restart policy
        name: Both.Supervisor
      ]

    Supervisor.start_link(children, opts)
'''

BOTH = ("mix-env-supervision", "rest-for-one")


def _run(sources, select=BOTH, **rule_options):
    options = RunOptions(select=select, fix=True, rule_options=rule_options)
    return {r.path: r for r in api.run_sources(sources, options).results}


def test_both_rules_give_the_production_options_with_rest_for_one():
    results = _run({"lib/application.ex": TREE, "lib/children.ex": CHILDREN})
    app = results["lib/application.ex"]
    assert app.error is None and app.notes == ()
    assert app.fixed is not None
    assert PRODUCTION in app.fixed
    assert b"Mix.env" not in app.fixed and b"one_for_one" not in app.fixed
    assert b"max_restarts: 100" not in app.fixed
    assert sorted(app.applied) == sorted(BOTH)
    assert app.remaining == ()
    assert results["lib/children.ex"].fixed is None
    # Fixing the result again changes nothing.
    again = _run({"lib/application.ex": app.fixed, "lib/children.ex": CHILDREN})
    assert again["lib/application.ex"].fixed is None
    assert again["lib/application.ex"].findings == ()


def test_order_of_selection_does_not_matter():
    sources = {"lib/application.ex": TREE, "lib/children.ex": CHILDREN}
    one = _run(sources, select=BOTH)["lib/application.ex"].fixed
    two = _run(sources, select=tuple(reversed(BOTH)))["lib/application.ex"].fixed
    assert one == two


def test_rest_for_one_alone_changes_every_branch():
    results = _run({"lib/application.ex": TREE, "lib/children.ex": CHILDREN}, select=("rest-for-one",))
    app = results["lib/application.ex"]
    assert [f.rule for f in app.findings] == ["rest-for-one"]
    assert app.fixed == TREE.replace(b":one_for_one", b":rest_for_one")


def test_without_the_children_sources_there_is_no_evidence():
    fixed = _run({"lib/application.ex": TREE})["lib/application.ex"].fixed
    assert fixed is not None and b":one_for_one" in fixed and b"Mix.env" not in fixed


def test_require_evidence_false_reports_without_the_children_sources():
    results = _run({"lib/application.ex": TREE}, **{"rest-for-one": {"require_evidence": False}})
    assert PRODUCTION in results["lib/application.ex"].fixed


def test_collected_facts_are_picklable_and_name_the_evidence():
    rule = get("rest-for-one")()
    ctx = Context(Source(CHILDREN, "lib/children.ex"), "lib/children.ex").for_rule(rule)
    facts = rule.collect(ctx)
    assert pickle.loads(pickle.dumps(facts)) == facts
    worker = facts["modules"]["Both.Worker"]
    assert ("Both.Cache", 10, "GenServer.call(Both.Cache, ...)") in worker["uses"]
    assert ("Both.Cache", 3) in facts["modules"]["Both.Cache"]["owns"]


def test_a_module_defined_twice_is_not_evidence():
    literal = TREE.replace(
        b"    opts =\n      if Mix.env()", b"    opts = [strategy: :one_for_one]\n    _unused =\n      if Mix.env()"
    )
    assert b"opts = [strategy: :one_for_one]" in literal
    sources = {"lib/application.ex": literal, "lib/children.ex": CHILDREN}
    assert len(_run(sources, select=("rest-for-one",))["lib/application.ex"].findings) == 1
    # Both.Worker defined in two files: otpfix cannot tell which one is compiled.
    duplicate = CHILDREN.replace(b"Both.Cache do", b"Both.Other do").replace(
        b"GenServer.call(Both.Cache, :get)", b"nil"
    )
    sources["lib/other.ex"] = duplicate
    assert _run(sources, select=("rest-for-one",))["lib/application.ex"].findings == ()


def test_test_files_are_skipped_by_default():
    sources = {"test/support/tree.ex": TREE, "test/support/children.ex": CHILDREN}
    results = _run(sources)
    assert all(r.findings == () for r in results.values())
