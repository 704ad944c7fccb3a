"""Every golden case: byte-exact fix output, exact findings, idempotence, real Elixir."""

from __future__ import annotations

import pytest

from conftest import require_elixir
from golden_cases import Case, discover, expected_name, render_findings, run_case
from otpfix.elixir import check_sources

CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    results = run_case(case)
    by_path = {r.path: r for r in results}
    assert [r.error for r in results if r.error] == [], "engine reported errors"
    assert [n for r in results for n in r.notes] == [], "fixes were dropped or did not settle"

    if update_golden:
        _update(case, results)

    rendered = render_findings(results)
    if case.findings_file.exists():
        assert rendered == case.findings_file.read_text(), "findings differ"
    elif any(case.expected(rel) is not None for rel in case.inputs):
        assert any(f.fix for r in results for f in r.findings), "expected a fixable finding"
    else:
        assert rendered == "", "this case must produce no finding"

    for rel in case.inputs:
        expected = case.expected(rel)
        result = by_path[rel]
        output = result.fixed if result.fixed is not None else result.original
        if expected is None:
            assert result.fixed is None, f"{rel} must not change"
        else:
            assert output == expected, f"{rel}: fix output differs from {expected_name(rel)}"

    # Idempotence: fixing the fixed output changes nothing.
    fixed = {rel: (by_path[rel].fixed or by_path[rel].original) for rel in case.inputs}
    again = run_case(case, fixed)
    assert [r.path for r in again if r.fixed is not None] == [], "a second fix changed the output"


def _update(case: Case, results) -> None:
    rendered = render_findings(results)
    has_fix = False
    for r in results:
        path = case.expected_path(r.path)
        if r.fixed is not None:
            path.write_bytes(r.fixed)
            has_fix = True
        elif path.exists():
            path.unlink()
    needs_findings = bool(rendered) and (not has_fix or case.findings_file.exists())
    if needs_findings or case.findings_file.exists():
        case.findings_file.write_text(rendered)


def _elixir_inputs():
    for case in CASES:
        if not case.check_parse:
            continue
        for rel in case.inputs:
            yield f"{case.id}:{rel}", case, rel, case.root / rel
            if case.expected(rel) is not None:
                yield f"{case.id}:{expected_name(rel)}", case, rel, case.expected_path(rel)


ELIXIR_FILES = list(_elixir_inputs())


@pytest.fixture(scope="module")
def elixir_verdicts():
    require_elixir()
    parse = {key: path.read_bytes() for key, case, _rel, path in ELIXIR_FILES if not case.check_compile}
    compile_ = {key: path.read_bytes() for key, case, _rel, path in ELIXIR_FILES if case.check_compile}
    verdicts = {}
    verdicts.update(check_sources(parse, "parse"))
    verdicts.update(check_sources(compile_, "compile"))
    return verdicts


@pytest.mark.parametrize("key", [k for k, *_ in ELIXIR_FILES])
def test_golden_is_real_elixir(key: str, elixir_verdicts) -> None:
    """Inputs and expected outputs parse (Code.string_to_quoted) and compile with Elixir."""
    assert elixir_verdicts[key] is None, elixir_verdicts[key]
