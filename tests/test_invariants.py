"""Invariants every registered rule must satisfy."""

import re

import pytest

from otpfix import registry
from golden_cases import GOLDEN, discover

RULES = registry.all_transforms()
CASES = discover()


def test_rules_are_registered():
    assert "demonitor-down" in registry.rule_ids()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata(rule):
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule.id)
    assert rule.summary and "\n" not in rule.summary
    doc = rule.documentation()
    for section in ("## What it does", "## Why", "## Example"):
        assert section in doc, f"{rule.id}: documentation lacks {section!r}"
    if rule.fixable:
        assert "## Fix safety" in doc, f"{rule.id}: fixable rule must document its fix safety"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_has_golden_cases(rule):
    cases = [c for c in CASES if c.rule == rule.id]
    assert len(cases) >= 6, f"{rule.id}: only {len(cases)} golden cases"
    if rule.fixable:
        assert any(
            c.expected(rel) is not None for c in cases for rel in c.inputs
        ), f"{rule.id}: no golden case shows its fix"
    assert any(
        all(c.expected(rel) is None for rel in c.inputs) and not c.findings_file.exists()
        for c in cases
    ), f"{rule.id}: no golden case shows code it must leave alone"


def test_golden_directories_name_real_rules():
    known = set(registry.rule_ids())
    for d in GOLDEN.iterdir():
        if d.is_dir():
            assert d.name in known, f"golden/{d.name} names no registered rule"
