"""The per-file loop: passes until stable, dropping fixes that break the parse."""

import pytest

from otpfix import registry
from otpfix.engine import process_source
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, RunOptions

OPTS = RunOptions(fix=True)


class BreakingRule(Transform):
    """Test rule: one fix that breaks the syntax, one that is fine."""

    id = "test-breaking"
    summary = "test"
    fixable = True

    def check(self, ctx: Context):
        data = ctx.data
        i = data.find(b"good")
        if i != -1:
            yield ctx.finding((i, i + 4), "good", make_fix("ok", [Edit(i, i + 4, "fine")]))
        j = data.find(b":bad")
        if j != -1:
            yield ctx.finding((j, j + 4), "bad", make_fix("breaks", [Edit(j, j + 4, "(((")]))


class ChainRule(Transform):
    """Test rule: each pass appends one more `x` to `:a` until `:axxx` (needs 3 passes)."""

    id = "test-chain"
    summary = "test"
    fixable = True

    def check(self, ctx: Context):
        i = ctx.data.find(b":a")
        if i == -1:
            return
        end = i + 2
        while ctx.data[end : end + 1] == b"x":
            end += 1
        if end - i - 2 < 3:
            yield ctx.finding((i, end), "more x", make_fix("x", [Edit.insert(end, "x")]))


class ForeverRule(Transform):
    """Test rule that never settles."""

    id = "test-forever"
    summary = "test"
    fixable = True

    def check(self, ctx: Context):
        yield ctx.finding((0, 1), "again", make_fix("grow", [Edit.insert(0, "#\n")]))


class CrashingRule(Transform):
    """Test rule that crashes."""

    id = "test-crash"
    summary = "test"

    def check(self, ctx: Context):
        raise KeyError("boom")


def test_fix_that_breaks_the_parse_is_dropped_and_reported_others_kept():
    src = b"x = good\ny = :bad\n"
    r = process_source("a.ex", src, [BreakingRule()], OPTS)
    assert r.fixed == b"x = fine\ny = :bad\n"
    assert len(r.notes) == 1 and "test-breaking" in r.notes[0] and "line 2" in r.notes[0]
    assert r.error is None


def test_passes_repeat_until_stable():
    r = process_source("a.ex", b"y = :a\n", [ChainRule()], OPTS)
    assert r.fixed == b"y = :axxx\n"
    assert r.applied == ("test-chain",) * 3
    assert r.remaining == ()
    assert len(r.findings) == 1  # findings are those of the original file


def test_passes_are_bounded_and_reported():
    r = process_source("a.ex", b":ok\n", [ForeverRule()], RunOptions(fix=True, max_passes=4))
    assert r.fixed == b"#\n" * 4 + b":ok\n"
    assert any("did not settle after 4 passes" in n for n in r.notes)


def test_file_with_syntax_errors_is_scanned_but_not_fixed():
    src = b"defmodule A do\n  def handle_info({:DOWN, _ref, :process, _, _}, s) do\n    {:noreply, s}\n  end\n\n  def broken( do\nend\n"
    rules = registry.resolve(["demonitor-down"])
    r = process_source("a.ex", src, rules, OPTS)
    assert r.fixed is None
    assert len(r.findings) == 1
    assert r.error == "syntax error near line 1, column 13: not fixed"
    scan = process_source("a.ex", src, rules, RunOptions())
    assert len(scan.findings) == 1
    assert scan.error is not None and scan.error.endswith("findings may be incomplete")


def test_crashing_rule_becomes_a_file_error():
    r = process_source("a.ex", b":ok\n", [CrashingRule()], OPTS)
    assert r.error is not None and "internal error in rule test-crash" in r.error
    assert r.fixed is None


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"\x00\x01binary", "binary"),
        ("caf\xe9".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_bad_input_is_refused_with_one_line(data, needle):
    r = process_source("a.ex", data, registry.resolve(None), OPTS)
    assert r.error is not None and needle in r.error and "\n" not in r.error
    assert r.fixed is None


def test_size_limit():
    r = process_source("a.ex", b":DOWN " * 10, registry.resolve(None), RunOptions(fix=True, max_file_size=20))
    assert r.error is not None and "larger than" in r.error


def test_empty_file_is_fine():
    r = process_source("a.ex", b"", registry.resolve(None), OPTS)
    assert r.error is None and r.findings == () and r.fixed is None


def test_deep_nesting_is_processed_like_any_file():
    src = (
        b"defmodule Deep do\n"
        b"  def handle_info({:DOWN, _r, :process, _, _}, s), do: {:noreply, s}\n"
        b"  def f, do: " + b"[" * 5000 + b"]" * 5000 + b"\n"
        b"end\n"
    )
    r = process_source("a.ex", src, registry.resolve(None), OPTS)
    assert r.error is None, r.error
    assert [f.rule for f in r.findings] == ["demonitor-down"]
    assert r.fixed is not None and b"Process.demonitor(r, [:flush])" in r.fixed


def test_registry_rejects_unknown_rules():
    with pytest.raises(registry.RegistryError, match="unknown rule 'nope'"):
        registry.resolve(["nope"])
    with pytest.raises(registry.RegistryError, match="--ignore"):
        registry.resolve(None, ["nope"])


def test_rule_options_are_validated():
    with pytest.raises(registry.RegistryError, match="unknown option"):
        registry.resolve(["demonitor-down"], rule_options={"demonitor-down": {"x": 1}})
