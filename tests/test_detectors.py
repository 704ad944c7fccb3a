"""The detector rules of issue 6 (raw-spawn, raw-send, process-dict,
telemetry-control-flow, god-module, mix-env-runtime): options, docs, test-file handling."""

from __future__ import annotations

import pytest

from otpfix import api, registry
from otpfix.types import RunOptions

RULES = ("raw-spawn", "raw-send", "process-dict", "telemetry-control-flow", "god-module", "mix-env-runtime")


@pytest.mark.parametrize("rule", RULES)
def test_documentation_has_the_sections_explain_prints(rule):
    doc = registry.get(rule).documentation()
    for section in ("## What it does", "## Why", "## Example", "## Fix safety"):
        assert section in doc, f"{rule}: missing {section}"


@pytest.mark.parametrize(
    "rule, options, fragment",
    [
        ("raw-spawn", {"supervisor": "my_app.tasks"}, "option 'supervisor'"),
        ("raw-spawn", {"supervisor": "MyApp.Tasks; System.halt()"}, "option 'supervisor'"),
        ("raw-spawn", {"supervisor": 3}, "option 'supervisor'"),
        ("god-module", {"max_lines": 0}, "option 'max_lines'"),
        ("god-module", {"max_lines": "1000"}, "option 'max_lines'"),
        ("god-module", {"max_lines": True}, "option 'max_lines'"),
        ("raw-send", {"strict": "yes"}, "option 'strict'"),
        ("raw-send", {"stritc": True}, "unknown option"),
    ],
)
def test_bad_options_are_usage_errors(rule, options, fragment):
    with pytest.raises(registry.RegistryError, match=fragment):
        registry.resolve((rule,), (), {rule: options})


@pytest.mark.parametrize("name", ["MyApp.TaskSupervisor", "Tasks", ":tasks"])
def test_good_supervisor_names_are_accepted(name):
    (rule,) = registry.resolve(("raw-spawn",), (), {"raw-spawn": {"supervisor": name}})
    assert rule.options["supervisor"] == name


SPAWN = b"""defmodule T do
  def go do
    spawn(fn -> :ok end)
    :ok
  end
end
"""


def _findings(path, data, **kw):
    run = api.run_sources({path: data}, RunOptions(select=("raw-spawn", "process-dict"), **kw))
    return [f.rule for r in run.results for f in r.findings]


def test_test_files_are_skipped_unless_included():
    assert _findings("lib/t.ex", SPAWN) == ["raw-spawn"]
    assert _findings("test/t_test.exs", SPAWN) == []
    assert _findings("test/t_test.exs", SPAWN, include_tests=True) == ["raw-spawn"]


def test_fix_text_uses_the_configured_supervisor():
    run = api.run_sources(
        {"lib/t.ex": SPAWN},
        RunOptions(select=("raw-spawn",), fix=True, rule_options={"raw-spawn": {"supervisor": ":tasks"}}),
    )
    (result,) = run.results
    assert result.fixed == SPAWN.replace(b"spawn(fn", b"Task.Supervisor.start_child(:tasks, fn")


def test_example_app_shows_the_detectors():
    from golden_cases import ROOT

    run = api.run([str(ROOT / "examples" / "legacy_app")], RunOptions(select=RULES))
    found = {(f.path.rsplit("/", 1)[-1], f.rule) for f in run.findings}
    assert found == {
        ("notifier.ex", "raw-spawn"),
        ("notifier.ex", "process-dict"),
        ("notifier.ex", "raw-send"),
        ("worker_pool.ex", "raw-spawn"),
        ("worker_pool.ex", "raw-send"),
        ("build_info.ex", "mix-env-runtime"),
        ("job_waiter.ex", "telemetry-control-flow"),
        # analyzer.ex (the blocking-callback example) also hand-rolls a call: responsive?/1.
        ("analyzer.ex", "raw-send"),
        # application.ex's Mix.env() sits in supervisor options: mix-env-supervision reports
        # it, so mix-env-runtime does not report it a second time.
    }
