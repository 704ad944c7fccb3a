"""rest-for-one's pre-filters and demand for facts (`wanted`), and its fast `collect`.

The engine runs `collect` only on the files whose `provides` keys (the last segment of each
module they define) meet the keys some checked file wants: `wanted` must name the key of
every module whose facts `check` reads, also when the file is checked again after other
rules' fixes in the same run."""

from __future__ import annotations


import pytest

from golden_cases import GOLDEN
from otpfix import api
from otpfix.registry import get
from otpfix.syntax import Source
from otpfix.transform import Context
from otpfix.types import RunOptions

RULE = get("rest-for-one")
RULES = ("rest-for-one", "mix-env-supervision")


def _ctx(data: bytes, path: str = "lib/a.ex", project=None, rule=None) -> Context:
    rule = rule or RULE()
    return Context(Source(data, path), path, {rule.id: project or {}}).for_rule(rule)


def _wanted(data: bytes) -> list[bytes]:
    return list(RULE().wanted(_ctx(data)))


def _inputs(rule: str) -> dict[str, bytes]:
    """Every input of the rule's golden cases, keyed by its path under golden/."""
    out = {}
    for path in sorted((GOLDEN / rule).rglob("*.ex*")):
        if ".expected." not in path.name:
            out[str(path.relative_to(GOLDEN))] = path.read_bytes()
    return out


@pytest.mark.parametrize(
    "case, segments",
    [
        # the last segment of each child module
        ("rest-for-one/wrong_order.ex", [b"Consumer", b"Producer"]),
        ("rest-for-one/three_children/lib/tree.ex", [b"Reader", b"Store", b"Writer"]),
        ("rest-for-one/erlang_tuple.ex", [b"Api", b"Store"]),
        ("rest-for-one/conditional_options.ex", [b"Api", b"Db"]),
        ("rest-for-one/evidence_across_files/lib/application.ex", [b"Cache", b"Worker"]),
        # both branches of a conditional child: mix-env-supervision may pick either
        ("mix-env-supervision/child_element.ex", [b"FakeMailer", b"Mailer", b"Store"]),
        ("mix-env-supervision/case_children.ex", [b"Poller", b"Repo"]),
    ],
)
def test_wanted_names_the_key_of_each_child_module(case, segments):
    assert _wanted((GOLDEN / case).read_bytes()) == segments


def test_nothing_is_wanted_without_a_one_for_one_atom():
    data = (GOLDEN / "rest-for-one/one_for_all.ex").read_bytes()
    assert b":one_for_one" not in data and b"Supervisor.start_link" in data
    assert _wanted(data) == []
    assert not RULE().could_match(data)
    # the word alone (a comment, a string) is not the atom
    assert not RULE().could_match(b"# one_for_one\ndefmodule A do\nend\n")
    assert RULE().could_collect(b"defmodule A do\nend\n")
    assert not RULE().could_collect(b"Supervisor.start_link([A, B], strategy: :one_for_one)\n")


def _facts(sources: dict[str, bytes]) -> dict:
    rule = RULE()
    project = {}
    for path, data in sources.items():
        facts = rule.collect(_ctx(data, path, rule=rule))
        if facts is not None:
            project[path] = facts
    return project


def _findings(rule, path: str, data: bytes, project) -> list[tuple]:
    return [
        (f.span, f.message, f.fix)
        for f in rule.check(_ctx(data, path, project, rule=rule)) or ()
    ]


def _provides(rule, data: bytes, wanted: set[bytes]) -> bool:
    keys = rule.provides(data)
    return keys is None or bool(wanted & set(keys))


@pytest.mark.parametrize("options", [{}, {"require_evidence": False}])
def test_the_wanted_files_give_the_same_findings_as_every_file(options):
    # One project of every golden input of both supervision rules (their modules have
    # unique names): each file is checked with the facts of every file, then with the
    # facts of the files it wants only.
    sources = {**_inputs("rest-for-one"), **_inputs("mix-env-supervision")}
    project = _facts(sources)
    rule = RULE(options)
    checked = with_evidence = 0
    for path, data in sources.items():
        if not rule.could_match(data):
            continue
        wanted = set(rule.wanted(_ctx(data, path, rule=rule)))
        subset = {p: f for p, f in project.items() if _provides(rule, sources[p], wanted)}
        assert len(subset) < len(project), path  # the demand is narrower than everything
        full = _findings(rule, path, data, project)
        assert _findings(rule, path, data, subset) == full, path
        checked += 1
        with_evidence += sum(" at rest-for-one/" in message for _, message, _ in full)
    assert checked >= 20 and with_evidence >= 5


def test_a_nested_module_is_provided_under_its_last_segment():
    # `defmodule Cache` nested in `defmodule Deps`: the file has no `Deps.Cache` bytes,
    # but provides the key `Cache`.
    tree = b"""defmodule Deps.Tree do
  def start_link do
    Supervisor.start_link([Deps.Cache, Deps.Worker], strategy: :one_for_one)
  end
end
"""
    children = b"""defmodule Deps do
  defmodule Cache do
    def start_link(_), do: Agent.start_link(fn -> 1 end, name: __MODULE__)
  end

  defmodule Worker do
    def start_link(_), do: Agent.start_link(fn -> Agent.get(Deps.Cache, & &1) end)
  end
end
"""
    sources = {"lib/tree.ex": tree, "lib/deps.ex": children}
    project = _facts(sources)
    assert set(project["lib/deps.ex"]["modules"]) == {"Deps", "Deps.Cache", "Deps.Worker"}
    wanted = _wanted(tree)
    assert wanted == [b"Cache", b"Worker"]
    assert set(RULE().provides(children)) == {b"Deps", b"Cache", b"Worker"}
    assert RULE().provides(tree) == [b"Tree"]
    findings = _findings(RULE(), "lib/tree.ex", tree, project)
    assert len(findings) == 1 and "Agent.get(Deps.Cache, ...) at lib/deps.ex:7" in findings[0][1]


def _one_for_one_inputs() -> dict[str, bytes]:
    sources = {**_inputs("rest-for-one"), **_inputs("mix-env-supervision")}
    return {p: d for p, d in sources.items() if b":one_for_one" in d}


def test_fixes_of_the_same_run_add_no_wanted_module():
    # The engine may compute `wanted` on the file as read and check again the output of
    # the fixes of this run (mix-env-supervision turning a conditional into its
    # production branch): the fixed file must want nothing the original did not.
    from otpfix.transforms.rest_for_one import _analysis

    options = RunOptions(select=RULES, fix=True)
    revealed = 0
    for path, data in _one_for_one_inputs().items():
        result = api.run_sources({path: data}, options).results[0]
        if result.fixed is None:
            continue
        before = set(_wanted(data))
        after = set(_wanted(result.fixed))
        assert after <= before, path
        # children the check only sees once the conditional is gone
        found = lambda d: [c.module for _, ch, _ in _analysis(_ctx(d, path)).found for c in ch.items]
        if set(found(result.fixed)) - set(found(data)):
            revealed += 1
    assert revealed >= 2  # the property is exercised, not vacuous


FACTS_SOURCE = b"""defmodule Facts do
  alias Facts.{Cache, Names}
  alias Facts.Store, as: S
  @table :facts_table
  @name Facts.Named
  @moduledoc Cache.doc()

  def start_link(opts) do
    GenServer.start_link(__MODULE__, opts, name: @name)
    :ets.new(@table, [:named_table, :public])
    Keyword.put(opts, :name, Facts.Put)
  end

  def run do
    Cache.get(:key)
    S.put(1)
    GenServer.call(Names, :x)
    Registry.lookup({:via, Registry, {Facts.Reg, :k}}, 1)
    quote do
      Hidden.call(Hidden)
    end
    __MODULE__.child_spec([])
    fun.(Cache)
  end

  defmodule Inner do
    def go, do: Cache.get(1) && __MODULE__.go()
  end
end

defmodule unquote(name) do
  def skipped, do: Skipped.call()
end
"""


def test_collect_facts_in_document_order():
    facts = _facts({"lib/facts.ex": FACTS_SOURCE})["lib/facts.ex"]["modules"]
    assert list(facts) == ["Facts", "Facts.Inner"]
    assert facts["Facts"] == {
        "path": "lib/facts.ex",
        "owns": [("Facts.Named", 9), (":facts_table", 10), ("Facts.Put", 11)],
        "uses": [
            # start_link, child_spec: not a use; quote, @moduledoc: skipped
            ("Keyword", 11, "calls Keyword.put"),
            ("Facts.Cache", 15, "calls Facts.Cache.get"),
            (":key", 15, "Cache.get(:key, ...)"),
            ("Facts.Store", 16, "calls Facts.Store.put"),
            ("GenServer", 17, "calls GenServer.call"),
            ("Facts.Names", 17, "GenServer.call(Facts.Names, ...)"),
            ("Registry", 18, "calls Registry.lookup"),
            ("Registry", 18, "a :via tuple names Registry"),
            ("Facts.Reg", 18, "a :via tuple names Facts.Reg"),
            ("Facts.Cache", 23, "fun.(Facts.Cache, ...)"),
        ],
    }
    assert facts["Facts.Inner"] == {
        "path": "lib/facts.ex",
        "owns": [],
        "uses": [
            ("Facts.Cache", 27, "calls Facts.Cache.get"),
            ("Facts.Inner", 27, "calls Facts.Inner.go"),
        ],
    }
