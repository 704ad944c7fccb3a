"""Demand-driven facts: `collect` runs only on the files that checked files want
(`Transform.wanted`), transitively (`Transform.wanted_next`), with the same results as
collecting every file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import golden_cases
from otpfix import api, registry
from otpfix.syntax import call_name, defined_module_keys, module_name
from otpfix.transform import Context, Transform
from otpfix.types import RunOptions


class ChainCalls(Transform):
    """Test rule: report every module reachable from a `start_chain` file's calls.

    ## What it does
    `collect`: the modules each module of a file calls. `check` (files calling
    `start_chain`): the modules reachable from the file's own calls, following the
    collected facts from module to module.
    """

    id = "test-chain-calls"
    summary = "Report the modules a start_chain file reaches (test rule)"
    needles = (b"start_chain",)
    collect_needles = (b"defmodule",)
    default_enabled = False

    CALLS = "(call target: (dot left: (alias))) @call"
    DEFS = '(call target: (identifier) @kw (#eq? @kw "defmodule")) @mod'

    def _called(self, ctx: Context, node=None) -> list[str]:
        out = []
        for call in ctx.captures(self.CALLS, "call", node):
            name = call_name(call)
            if name:
                out.append(name.rsplit(".", 1)[0])
        return out

    def collect(self, ctx: Context):
        facts = {}
        for mod in ctx.captures(self.DEFS, "mod"):
            name = module_name(mod)
            if name:
                facts[name] = sorted(set(self._called(ctx, mod)))
        return facts or None

    def provides(self, data: bytes):
        return defined_module_keys(data)

    def wanted(self, ctx: Context):
        return [m.rsplit(".", 1)[-1].encode() for m in self._called(ctx)]

    def wanted_next(self, facts, keys=None):
        # Only the modules wanted of this file are followed (a key is a last segment).
        return [
            m.rsplit(".", 1)[-1].encode()
            for module, called in facts.items()
            if keys is None or module.rsplit(".", 1)[-1].encode() in keys
            for m in called
        ]

    def check(self, ctx: Context):
        merged: dict[str, list[str]] = {}
        for path in sorted(ctx.project):
            for module, called in ctx.project[path].items():
                merged.setdefault(module, []).extend(called)
        seen: list[str] = []
        queue = sorted(set(self._called(ctx)))
        while queue:
            module = queue.pop(0)
            if module in seen or module not in merged:
                continue
            seen.append(module)
            queue.extend(merged[module])
        yield ctx.finding((0, 1), "reaches " + ",".join(seen))


def _module(name: str, calls: list[str], extra: str = "") -> str:
    body = "\n".join(f"  def f{i}, do: {c}.run()" for i, c in enumerate(calls))
    return f"defmodule {name} do\n{extra}{body}\n  def run, do: :ok\nend\n"


def sources() -> dict[str, bytes]:
    files = {
        "lib/start.ex": _module("App.Start", ["App.Alpha"], "  def go, do: start_chain()\n"),
        "lib/a.ex": _module("App.Alpha", ["App.Beta"]),
        "lib/b.ex": _module("App.Beta", ["Deep.Gamma"]),
        "lib/c.ex": _module("Deep.Gamma", []),
        # Mentions a wanted module without defining it: not collected.
        "lib/decoy.ex": "# see App.Alpha for details\n" + _module("App.Decoy", ["App.Alpha"]),
        # Defines a module with the same last segment: collected (keys are last segments).
        "lib/twin.ex": _module("Other.Beta", []),
    }
    for i in range(30):
        files[f"lib/other{i}.ex"] = _module(f"App.Other{i}", ["App.Start"])
    return {k: v.encode() for k, v in files.items()}


@pytest.fixture
def rule(monkeypatch):
    extra = tuple(registry.all_transforms()) + (ChainCalls,)
    monkeypatch.setattr(registry, "all_transforms", lambda: tuple(sorted(extra, key=lambda t: t.id)))
    collected: list[str] = []
    original = ChainCalls.collect

    def counting(self, ctx):
        collected.append(ctx.path)
        return original(self, ctx)

    monkeypatch.setattr(ChainCalls, "collect", counting)
    return collected


OPTIONS = RunOptions(select=("test-chain-calls",))


def _message(run: api.Run) -> str:
    (finding,) = run.findings
    return finding.message


def test_collects_only_the_wanted_files_transitively(rule):
    run = api.run_sources(sources(), OPTIONS)
    # App.Alpha (wanted by start.ex), then App.Beta (Alpha's facts) and its twin
    # Other.Beta (same key), then Deep.Gamma (Beta's facts), one round each.
    assert _message(run) == "reaches App.Alpha,App.Beta,Deep.Gamma"
    assert "lib/other0.ex" not in rule
    assert rule == ["lib/a.ex", "lib/b.ex", "lib/twin.ex", "lib/c.ex"]


def test_same_results_as_collecting_every_file(rule, monkeypatch):
    demand = api.run_sources(sources(), OPTIONS)
    assert len(rule) < len(sources())
    rule.clear()
    monkeypatch.setattr(ChainCalls, "wanted", lambda self, ctx: None)
    every = api.run_sources(sources(), OPTIONS)
    assert len(rule) == len(sources())
    assert every.results == demand.results


def test_wanted_next_is_followed(rule, monkeypatch):
    """Without `wanted_next` the chain stops after the directly wanted files: the engine
    really follows it (this is what the full result above depends on)."""
    monkeypatch.setattr(ChainCalls, "wanted_next", lambda self, facts, keys=None: ())
    assert _message(api.run_sources(sources(), OPTIONS)) == "reaches App.Alpha"


@pytest.mark.parametrize("where", ["wanted", "wanted_next"])
def test_a_failing_or_none_want_means_every_file(rule, monkeypatch, where):
    def boom(self, arg, keys=None):
        raise RuntimeError("bug")

    monkeypatch.setattr(ChainCalls, where, boom)
    run = api.run_sources(sources(), OPTIONS)
    assert len(rule) == len(sources())
    if where == "wanted":
        assert _message(run) == "reaches App.Alpha,App.Beta,Deep.Gamma"


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


@pytest.mark.parametrize("jobs", [1, 3])
def test_on_disk_parallel_and_cached(rule, tmp_path, monkeypatch, jobs):
    """The same answer serially and in a pool; a warm run collects nothing; a change deep
    in the chain (a file the checked file only reaches through facts) is seen at once."""
    files = sources()
    for i in range(40):  # enough files for a pool
        files[f"lib/more{i}.ex"] = _module(f"App.More{i}", []).encode()
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path / ".otpfix_cache")
    options = RunOptions(select=("test-chain-calls",), jobs=jobs, cache_dir=cache)
    cold = api.run(["lib"], options)
    assert _message(cold) == "reaches App.Alpha,App.Beta,Deep.Gamma"
    assert cold.results == api.run(["lib"], RunOptions(select=("test-chain-calls",))).results
    rule.clear()
    warm = api.run(["lib"], options)
    assert rule == [] and warm.results == cold.results
    (tmp_path / "lib/c.ex").write_text(_module("Deep.Gamma", ["Deep.Epsilon"]))
    (tmp_path / "lib/e.ex").write_text(_module("Deep.Epsilon", []))
    changed = api.run(["lib"], options)
    assert _message(changed) == "reaches App.Alpha,App.Beta,Deep.Gamma,Deep.Epsilon"
    assert changed.results == api.run(["lib"], RunOptions(select=("test-chain-calls",))).results


PROJECT_RULES = [t.id for t in registry.all_transforms() if t.uses_project()]
CASES = [c for c in golden_cases.discover() if c.rule in PROJECT_RULES]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_project_rules_want_exactly(case, monkeypatch):
    """Every golden case of every project-aware rule gives the same results when its
    facts come only from the files it wants as when they come from every file."""
    demand = golden_cases.run_case(case)
    for t in registry.all_transforms():
        if t.uses_project():
            monkeypatch.setattr(t, "wanted", lambda self, ctx: None)
    assert golden_cases.run_case(case) == demand


def test_there_are_project_rules():
    assert {"rest-for-one", "narrow-rescue", "broad-catch"} <= set(PROJECT_RULES)


def test_finer_keys_and_what_wanted_next_is_given(rule, monkeypatch):
    """A wanted key `Mod/fun` is provided by a file that provides `Mod`; `wanted_next`
    gets exactly the keys of that file not followed there yet, and again when more of
    them are wanted later."""
    given: list[tuple[str, frozenset]] = []

    def wanted(self, ctx):
        return [m.rsplit(".", 1)[-1].encode() + b"/run" for m in self._called(ctx)]

    def wanted_next(self, facts, keys=None):
        given.append((",".join(sorted(facts)), keys))
        out = []
        for module, called in facts.items():
            if module == "App.Alpha":
                out += [b"Beta/run", b"Alpha/other"]  # Alpha again, another function
        return out

    monkeypatch.setattr(ChainCalls, "wanted", wanted)
    monkeypatch.setattr(ChainCalls, "wanted_next", wanted_next)
    api.run_sources(sources(), OPTIONS)
    assert rule == ["lib/a.ex", "lib/b.ex", "lib/twin.ex"]
    assert given == [
        ("App.Alpha", frozenset({b"Alpha/run"})),
        ("App.Alpha", frozenset({b"Alpha/other"})),
        ("App.Beta", frozenset({b"Beta/run"})),
        ("Other.Beta", frozenset({b"Beta/run"})),
    ]


class OtherChain(ChainCalls):
    """A second project-aware rule on the same files, wanting one module only."""

    id = "test-other-chain"

    def wanted(self, ctx: Context):
        return [b"Gamma"]

    def wanted_next(self, facts, keys=None):
        return ()

    def check(self, ctx: Context):
        modules = sorted(m for path in ctx.project for m in ctx.project[path])
        yield ctx.finding((0, 1), "sees " + ",".join(modules))


def test_each_rule_collects_only_what_it_wants(rule, monkeypatch):
    extra = tuple(registry.all_transforms()) + (OtherChain,)
    monkeypatch.setattr(registry, "all_transforms", lambda: tuple(sorted(extra, key=lambda t: t.id)))
    seen: list[tuple[str, str]] = []
    original = ChainCalls.collect  # the counting wrapper of the fixture

    def by_rule(self, ctx):
        seen.append((self.id, ctx.path))
        return original(self, ctx)

    monkeypatch.setattr(ChainCalls, "collect", by_rule)
    run = api.run_sources(sources(), RunOptions(select=("test-chain-calls", "test-other-chain")))
    assert sorted(f.message for f in run.findings) == ["reaches App.Alpha,App.Beta,Deep.Gamma", "sees Deep.Gamma"]
    assert sorted(p for r, p in seen if r == "test-other-chain") == ["lib/c.ex"]
    assert sorted(p for r, p in seen if r == "test-chain-calls") == ["lib/a.ex", "lib/b.ex", "lib/c.ex", "lib/twin.ex"]


class SameFactsChain(OtherChain):
    """Collects what ChainCalls collects (same `facts_key`) and reads only what it wants."""

    id = "test-same-facts"

    def facts_key(self):
        return "chain-facts"

    def check(self, ctx: Context):
        modules = sorted(m for path in ctx.project for m in ctx.project[path] if m.endswith(".Gamma"))
        yield ctx.finding((0, 1), "sees " + ",".join(modules))


def test_rules_with_the_same_facts_share_one_collect(rule, monkeypatch, parses):
    """c.ex is wanted by test-same-facts at once and by the chain rule two rounds later:
    collected for both in one parse."""
    extra = tuple(registry.all_transforms()) + (SameFactsChain,)
    monkeypatch.setattr(registry, "all_transforms", lambda: tuple(sorted(extra, key=lambda t: t.id)))
    options = RunOptions(select=("test-chain-calls", "test-same-facts"))
    files = sources()
    unshared = api.run_sources(files, options)
    assert parses.count(files["lib/c.ex"]) == 2
    parses.clear()
    monkeypatch.setattr(ChainCalls, "facts_key", lambda self: "chain-facts")
    shared = api.run_sources(files, options)
    assert parses.count(files["lib/c.ex"]) == 1
    assert shared.results == unshared.results
    assert sorted(f.message for f in shared.findings) == ["reaches App.Alpha,App.Beta,Deep.Gamma", "sees Deep.Gamma"]


# -- files the first pass leaves for the first collect round ---------------------------------

# A body that process-dict (a rule without project facts) reports: a file with it is
# parsed for that rule, and, defining a module, may be wanted by the chain rule.
_HIDDEN = "  def hide(v), do: Process.put(:k, v)\n"
BOTH = RunOptions(select=("test-chain-calls", "process-dict"))


def _with_hidden_state() -> dict[str, bytes]:
    files = sources()
    files["lib/a.ex"] = _module("App.Alpha", ["App.Beta"], _HIDDEN).encode()  # wanted
    files["lib/other0.ex"] = _module("App.Other0", ["App.Start"], _HIDDEN).encode()  # not wanted
    return files


@pytest.fixture
def parses(monkeypatch):
    """The paths parsed, in order (every parse goes through `Source`)."""
    from otpfix import syntax

    seen: list[bytes] = []
    original = syntax.parse

    def counting(data: bytes):
        seen.append(data)
        return original(data)

    monkeypatch.setattr(syntax, "parse", counting)
    return seen


def test_a_file_parsed_for_other_rules_is_parsed_once_with_its_facts(rule, parses):
    files = _with_hidden_state()
    run = api.run_sources(files, BOTH)
    by_path = {r.path: r for r in run.results}
    assert [f.rule for f in by_path["lib/a.ex"].findings] == ["process-dict"]
    assert [f.rule for f in by_path["lib/other0.ex"].findings] == ["process-dict"]
    assert [f.message for f in by_path["lib/start.ex"].findings] == ["reaches App.Alpha,App.Beta,Deep.Gamma"]
    # a.ex: checked by process-dict and collected by the chain rule from one parse;
    # other0.ex: checked, never collected, parsed once too.
    assert parses.count(files["lib/a.ex"]) == 1
    assert parses.count(files["lib/other0.ex"]) == 1
    assert "lib/a.ex" in rule and "lib/other0.ex" not in rule
    # The same findings as each rule alone.
    alone = api.run_sources(files, RunOptions(select=("process-dict",)))
    assert [f for r in alone.results for f in r.findings] == [
        f for r in run.results for f in r.findings if f.rule == "process-dict"
    ]


def test_files_left_for_later_are_finished_without_a_checked_file(rule, parses):
    """No file calls start_chain: there is no collect round, the files left for later
    are still checked (each parsed once)."""
    files = _with_hidden_state()
    del files["lib/start.ex"]
    run = api.run_sources(files, BOTH)
    assert sorted(r.path for r in run.results if r.findings) == ["lib/a.ex", "lib/other0.ex"]
    assert rule == []
    assert parses.count(files["lib/a.ex"]) == 1


@pytest.mark.parametrize("jobs", [1, 3])
def test_files_left_for_later_on_disk_parallel_and_cached(rule, parses, tmp_path, monkeypatch, jobs):
    files = _with_hidden_state()
    for i in range(40):  # enough files for a pool
        files[f"lib/more{i}.ex"] = _module(f"App.More{i}", [], _HIDDEN if i % 2 else "").encode()
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path / ".otpfix_cache")
    options = RunOptions(select=BOTH.select, jobs=jobs, cache_dir=cache)
    cold = api.run(["lib"], options)
    serial = api.run(["lib"], RunOptions(select=BOTH.select))
    assert cold.results == serial.results
    assert sum(1 for r in cold.results for f in r.findings if f.rule == "process-dict") == 22
    rule.clear()
    parses.clear()
    warm = api.run(["lib"], options)
    assert warm.results == cold.results
    assert rule == [] and parses == []  # every file, finished later or not, from the cache


@pytest.mark.parametrize("stored", [True, False], ids=["provides-stored", "provides-missing"])
def test_replanned_rounds_read_provides_from_the_cache(rule, tmp_path, monkeypatch, stored):
    """A change makes the rounds be planned again: the provided keys of the unchanged files
    come from their own cache entries (no file read for them), or, when those entries are
    missing, from the files' bytes; the results are those of an uncached run."""
    files = sources()
    for i in range(40):
        files[f"lib/more{i}.ex"] = _module(f"App.More{i}", []).encode()
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    options = RunOptions(select=("test-chain-calls",), jobs=1, cache_dir=str(tmp_path / ".otpfix_cache"))
    api.run(["lib"], options)
    (tmp_path / "lib/c.ex").write_text(_module("Deep.Gamma", ["Deep.Epsilon"]))
    (tmp_path / "lib/e.ex").write_text(_module("Deep.Epsilon", []))
    if not stored:
        original = api._Keys.provides
        monkeypatch.setattr(api._Keys, "provides", lambda self, path, digest: original(self, path, digest) + "x")
    computed: list[str] = []
    provided_by = api.provided_by
    monkeypatch.setattr(api, "provided_by", lambda path, *a: (computed.append(path), provided_by(path, *a))[1])
    changed = api.run(["lib"], options)
    assert _message(changed) == "reaches App.Alpha,App.Beta,Deep.Gamma,Deep.Epsilon"
    assert "lib/c.ex" in computed  # changed: a first pass
    if stored:
        assert "lib/more7.ex" not in computed  # unchanged: its provides from the cache
    else:
        assert "lib/more7.ex" in computed  # from its bytes
    assert changed.results == api.run(["lib"], RunOptions(select=("test-chain-calls",))).results


_RIDS = st.sampled_from(["a", "b", "c"])
_KEYS = st.lists(st.sampled_from([b"A", b"A/f", b"B", b"B/g"]), max_size=3).map(lambda ks: tuple(sorted(set(ks))))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.dictionaries(_RIDS, st.one_of(st.none(), _KEYS), max_size=3), max_size=8),
    st.booleans(),
)
def test_provider_index_is_the_plain_index(provides, share):
    """`_provider_index` (one index for rules providing the same keys in every file) gives,
    rule by rule, the files the plain definition gives, in file order."""
    if share:  # the rescue rules' case: one keys object for two rules in every file
        provides = [{**p, "b": p["a"]} if "a" in p else {k: v for k, v in p.items() if k != "b"} for p in provides]
    index, anything = api._provider_index(provides)
    for rid in ("a", "b", "c"):
        expected: dict[bytes, list[int]] = {}
        for i, keys_of in enumerate(provides):
            for key in keys_of.get(rid) or ():
                expected.setdefault(key, []).append(i)
        assert index.get(rid, {}) == expected
        assert anything.get(rid, []) == [i for i, keys_of in enumerate(provides) if rid in keys_of and keys_of[rid] is None]
