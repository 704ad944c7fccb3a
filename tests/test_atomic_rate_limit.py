"""atomic-rate-limit: option handling and properties the golden files do not spell out."""

from __future__ import annotations

from pathlib import Path

import pytest

from otpfix import api, registry
from otpfix.types import RunOptions

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "atomic-rate-limit"
RULE = "atomic-rate-limit"


def _fix(source: bytes, **options):
    opts = RunOptions(select=(RULE,), fix=True, rule_options={RULE: options} if options else {})
    return api.run_sources({"a.ex": source}, opts).results[0]


def test_unknown_strategy_is_a_usage_error() -> None:
    with pytest.raises(registry.RegistryError, match="strategy must be one of"):
        registry.resolve((RULE,), rule_options={RULE: {"strategy": "cas"}})


def test_documentation_has_the_required_sections() -> None:
    doc = registry.get(RULE).documentation()
    for section in ("## What it does", "## Why", "## Example", "## Fix safety"):
        assert section in doc


def test_helper_added_once_per_module() -> None:
    fixed = (GOLDEN / "two_sites.expected.ex").read_text()
    assert fixed.count("defp otpfix_update_counter_unless(") == 1
    assert fixed.count("otpfix_update_counter_unless(tab, {:") == 2  # both sites call it


def test_existing_helper_is_reused_not_added_again() -> None:
    fixed = (GOLDEN / "if_gt.expected.ex").read_bytes()
    # Add a second, unfixed site to the already fixed module.
    extra = b"""
  def again(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > 7 do
      :ets.update_counter(tab, key, {2, -1})
      :no
    else
      :yes
    end
  end
"""
    at = fixed.index(b"\n  # Added by otpfix")
    result = _fix(fixed[:at] + extra + fixed[at:])
    assert result.fixed is not None
    assert result.fixed.count(b"defp otpfix_update_counter_unless(") == 1
    assert b"otpfix_update_counter_unless(tab, key, {2, 1}, {key, 0}, &(&1 > 7))" in result.fixed


def test_half_present_helper_is_not_completed() -> None:
    source = (GOLDEN / "if_gt.ex").read_bytes().replace(
        b"\nend\n", b"\n  defp otpfix_literal_key?(_), do: true\nend\n"
    )
    result = _fix(source)
    assert result.fixed is None
    assert "already defines otpfix_literal_key?" in result.findings[0].message


def test_threshold_fix_is_unsafe_and_kept_out_by_safe_only() -> None:
    source = (GOLDEN / "threshold.ex").read_bytes()
    result = _fix(source, strategy="threshold")
    assert [f.fix.applicability.value for f in result.findings if f.fix] == ["unsafe"]
    opts = RunOptions(select=(RULE,), fix=True, safe_only=True, rule_options={RULE: {"strategy": "threshold"}})
    assert api.run_sources({"a.ex": source}, opts).results[0].fixed is None
