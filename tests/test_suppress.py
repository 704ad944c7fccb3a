"""Inline suppression comments and the unused-ignore rule, on small in-memory files.

Stand-in rules (defined here) keep the tests independent of the real rules: `fake-a`
and `fake-b` flag every call to `boom`/`bang`, `fake-insert` inserts a line above every
`work()` call, `fake-drop` deletes every `drop_me()` call. They are made known to the
registry for the length of a test so that unused-ignore judges them like real rules.
"""

from __future__ import annotations

import pytest

from otpfix import api, registry, suppress
from otpfix.engine import process_source
from otpfix.syntax import Source, call_name, walk
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, RunOptions
from otpfix.transforms.unused_ignore import UnusedIgnore


class _CallRule(Transform):
    """Test rule."""

    summary = "test"
    callee = ""

    def check(self, ctx: Context):
        for node in walk(ctx.root):
            if node.type == "call" and call_name(node) == self.callee:
                yield ctx.finding(node, f"call to {self.callee}")


class FakeA(_CallRule):
    """Test rule."""

    id = "fake-a"
    callee = "boom"


class FakeB(_CallRule):
    """Test rule."""

    id = "fake-b"
    callee = "bang"


class FakeInsert(Transform):
    """Test rule: insert `:inserted` on its own line above each `work()` line."""

    id = "fake-insert"
    summary = "test"
    fixable = True

    def check(self, ctx: Context):
        if b":inserted" in ctx.data:
            return
        for node in walk(ctx.root):
            if node.type == "call" and call_name(node) == "work":
                at = ctx.source.line_start(node.start_byte)
                indent = ctx.source.indent_of(node.start_byte)
                fix = make_fix("insert", [Edit.insert(at, f"{indent}:inserted\n")])
                yield ctx.finding(node, "work without :inserted", fix)


class FakeDrop(Transform):
    """Test rule: delete `drop_me()` calls."""

    id = "fake-drop"
    summary = "test"
    fixable = True

    def check(self, ctx: Context):
        for node in walk(ctx.root):
            if node.type == "call" and call_name(node) == "drop_me":
                fix = make_fix("drop", [Edit(node.start_byte, node.end_byte, ":ok")])
                yield ctx.finding(node, "drop_me", fix)


FAKES = ("fake-a", "fake-b", "fake-insert", "fake-drop")


@pytest.fixture(autouse=True)
def known_fakes(monkeypatch):
    real = registry.rule_ids()
    monkeypatch.setattr(registry, "rule_ids", lambda: sorted([*real, *FAKES]))


def run(src: str, *rules: Transform, fix: bool = False, path: str = "lib/x.ex"):
    rules = rules or (FakeA(), FakeB(), UnusedIgnore())
    result = process_source(path, src.encode(), list(rules), RunOptions(fix=fix))
    assert result.error is None, result.error
    return result


def found(result) -> list[tuple[str, int]]:
    return [(f.rule, f.span.line) for f in result.findings]


# -- where a marker applies --------------------------------------------------------------


def test_marker_at_end_of_line_suppresses_that_line_only():
    result = run("boom() # otpfix:ignore fake-a\nboom()\n")
    assert found(result) == [("fake-a", 2)]


def test_marker_alone_on_the_line_above():
    src = "# otpfix:ignore fake-a\nboom()\nboom()\n"
    assert found(run(src)) == [("fake-a", 3)]


def test_marker_above_skips_comment_lines_but_not_blank_lines():
    src = (
        "# otpfix:ignore fake-a\n"
        "# the reason, on a line of its own\n"
        "boom()\n"
        "# otpfix:ignore fake-b\n"
        "\n"
        "bang()\n"
    )
    assert found(run(src)) == [
        ("unused-ignore", 4),  # it applied to the blank line 5
        ("fake-b", 6),
    ]


def test_stacked_markers_apply_to_the_same_line():
    src = "# otpfix:ignore fake-a\n# otpfix:ignore fake-b\nboom(bang())\n"
    assert found(run(src)) == []


def test_several_rules_in_one_marker():
    src = "boom(bang()) # otpfix:ignore fake-a, fake-b\nboom(bang()) # otpfix:ignore fake-b\n"
    assert found(run(src)) == [("fake-a", 2)]


def test_rules_separated_by_spaces_and_a_reason():
    src = "boom(bang()) # otpfix:ignore fake-a fake-b -- legacy, see #12\n"
    assert found(run(src)) == []


def test_multi_line_finding_is_suppressed_by_a_marker_on_its_first_line():
    first = "boom(  # otpfix:ignore fake-a\n  1,\n  2\n)\n"
    assert found(run(first)) == []
    above = "# otpfix:ignore fake-a\nboom(\n  1\n)\n"
    assert found(run(above)) == []
    last = "boom(\n  1\n) # otpfix:ignore fake-a\n"
    assert found(run(last)) == [("fake-a", 1), ("unused-ignore", 3)]


def test_file_level_marker_at_the_top():
    src = "#!/usr/bin/env elixir\n# otpfix:ignore-file fake-a\n\nboom()\nbang()\nboom()\n"
    assert found(run(src)) == [("fake-b", 5)]


def test_file_level_marker_after_code_has_no_effect_and_is_reported():
    src = "boom()\n# otpfix:ignore-file fake-a\nboom()\n"
    result = run(src)
    assert found(result) == [("fake-a", 1), ("unused-ignore", 2), ("fake-a", 3)]
    unused = [f for f in result.findings if f.rule == "unused-ignore"][0]
    assert "has no effect" in unused.message and unused.fix is None


def test_marker_text_in_strings_heredocs_and_sigils_does_nothing():
    src = (
        'x = "# otpfix:ignore-file fake-a"\n'
        '@doc """\n# otpfix:ignore-file fake-a\n"""\n'
        "boom(~S(# otpfix:ignore fake-a))\n"
        'boom("# otpfix:ignore fake-a")\n'
    )
    result = run(src)
    assert found(result) == [("fake-a", 5), ("fake-a", 6)]


def test_only_exact_markers_count():
    src = "boom() # otpfix:ignored fake-a\nboom() # see otpfix:ignore fake-a\nboom() #otpfix:ignore fake-a\n"
    assert found(run(src, FakeA())) == [("fake-a", 1), ("fake-a", 2)]


def test_crlf_lines():
    src = "boom() # otpfix:ignore fake-a\r\n# otpfix:ignore fake-b\r\nbang()\r\nboom()\r\n"
    assert found(run(src)) == [("fake-a", 4)]


# -- unused-ignore -------------------------------------------------------------------------


def test_unused_marker_is_reported_with_a_fix():
    src = "boom() # otpfix:ignore fake-a, fake-b\n"
    result = run(src)
    [f] = result.findings
    assert f.rule == "unused-ignore"
    assert f.message == "unused suppression: no `fake-b` finding on line 1"
    assert f.fix is not None and f.fix.applicability.value == "safe"
    fixed = run(src, fix=True)
    assert fixed.fixed == b"boom() # otpfix:ignore fake-a\n"


def test_only_rules_enabled_in_this_run_are_judged():
    src = "x() # otpfix:ignore fake-a\n# otpfix:ignore fake-b\ny()\n"
    assert found(run(src, FakeA(), UnusedIgnore())) == [("unused-ignore", 1)]
    assert found(run(src, UnusedIgnore())) == []


def test_rules_skipping_test_files_are_not_judged_there():
    class SkipsTests(FakeA):
        """Test rule."""

        skip_tests = True

    src = "x() # otpfix:ignore fake-a\n"
    assert found(run(src, SkipsTests(), UnusedIgnore(), path="test/x_test.exs")) == []
    assert found(run(src, SkipsTests(), UnusedIgnore(), path="lib/x.ex")) == [("unused-ignore", 1)]


def test_a_rule_that_cannot_match_the_file_is_still_judged():
    class WithNeedle(FakeA):
        """Test rule."""

        needles = (b"boom",)

    src = "x() # otpfix:ignore fake-a\n"
    assert found(run(src, WithNeedle(), UnusedIgnore())) == [("unused-ignore", 1)]


def test_unknown_rule_is_reported_without_a_fix():
    result = run("boom() # otpfix:ignore fake-a, fake-c\n")
    [f] = result.findings
    assert f.rule == "unused-ignore" and f.fix is None
    assert "unknown rule `fake-c`" in f.message


def test_empty_marker_is_reported():
    result = run("# otpfix:ignore\nboom()\n")
    assert found(result) == [("unused-ignore", 1), ("fake-a", 2)]


def test_marker_naming_unused_ignore_is_exempt_and_file_level_turns_it_off():
    assert found(run("x() # otpfix:ignore fake-a, unused-ignore\n")) == []
    assert found(run("# otpfix:ignore-file unused-ignore\nx() # otpfix:ignore fake-a\n")) == []


def test_line_marker_wins_over_a_redundant_file_marker():
    src = "# otpfix:ignore-file fake-a\nboom() # otpfix:ignore fake-a\n"
    assert found(run(src)) == [("unused-ignore", 1)]


def test_unused_ignore_fix_is_idempotent_and_byte_minimal():
    src = (
        "defmodule M do\n"
        "  # keep me\n"
        "  # otpfix:ignore fake-a\n"
        "  def f, do: boom()\n"
        "  def g, do: x()\t # otpfix:ignore fake-a -- why\n"
        "  def h, do: bang() # otpfix:ignore fake-a,fake-b\n"
        "end\n"
    )
    first = run(src, fix=True)
    assert first.fixed == (
        "defmodule M do\n"
        "  # keep me\n"
        "  # otpfix:ignore fake-a\n"
        "  def f, do: boom()\n"
        "  def g, do: x()\n"
        "  def h, do: bang() # otpfix:ignore fake-b\n"
        "end\n"
    ).encode()
    assert first.remaining == ()
    assert run(first.fixed.decode(), fix=True).fixed is None


@pytest.mark.parametrize(
    "rules, remove, expected",
    [
        ("a, b, c", {"b"}, "a, c"),
        ("a, b, c", {"a"}, "b, c"),
        ("a, b, c", {"c"}, "a, b"),
        ("a, b, c", {"a", "b"}, "c"),
        ("a, b, c", {"b", "c"}, "a"),
        ("a,b ,  c", {"b"}, "a,c"),
        ("a b c", {"a", "c"}, "b"),
        ("a, b -- reason", {"b"}, "a -- reason"),
    ],
)
def test_removal_edits_keep_the_rest_of_the_comment(rules, remove, expected):
    data = f"x() # otpfix:ignore {rules}\n".encode()
    source = Source(data)
    [marker] = suppress.parse_markers(source)
    out = bytearray(data)
    for e in sorted(suppress.removal_edits(source, marker, remove), reverse=True):
        out[e.start : e.end] = e.text.encode()
    assert bytes(out) == f"x() # otpfix:ignore {expected}\n".encode()


@pytest.mark.parametrize(
    "src, expected",
    [
        ("x()  # otpfix:ignore a\ny()\n", "x()\ny()\n"),
        ("x()\n  # otpfix:ignore a\ny()\n", "x()\ny()\n"),
        ("x()\r\n  # otpfix:ignore a\r\ny()\r\n", "x()\r\ny()\r\n"),
        ("x() # otpfix:ignore a\r\n", "x()\r\n"),
        ("x()\n# otpfix:ignore a", "x()\n"),
    ],
)
def test_removing_a_whole_comment(src, expected):
    source = Source(src.encode())
    [marker] = suppress.parse_markers(source)
    [edit] = suppress.removal_edits(source, marker, {"a"})
    out = src.encode()[: edit.start] + src.encode()[edit.end :]
    assert out == expected.encode()


# -- fixes and markers ---------------------------------------------------------------------


def test_suppressed_findings_are_not_fixed():
    src = "work() # otpfix:ignore fake-insert\n"
    assert run(src, FakeInsert(), fix=True).fixed is None


def test_an_inserted_line_does_not_come_between_a_marker_and_its_line():
    src = (
        "defmodule M do\n"
        "  def f do\n"
        "    # why: legacy\n"
        "    # otpfix:ignore fake-a\n"
        "    work(boom())\n"
        "  end\n"
        "end\n"
    )
    result = run(src, FakeA(), FakeInsert(), UnusedIgnore(), fix=True)
    assert result.fixed == (
        "defmodule M do\n"
        "  def f do\n"
        "    :inserted\n"
        "    # why: legacy\n"
        "    # otpfix:ignore fake-a\n"
        "    work(boom())\n"
        "  end\n"
        "end\n"
    ).encode()
    assert result.remaining == ()


def test_a_marker_made_unused_by_this_runs_fixes_is_reported_not_removed():
    src = "drop_me() # otpfix:ignore fake-a\nboom(drop_me()) # otpfix:ignore fake-a\n"
    # Line 1: the marker is unused from the start: removed. Line 2 stays suppressed.
    result = run(src, FakeA(), FakeDrop(), UnusedIgnore(), fix=True)
    assert result.fixed == b":ok\nboom(:ok) # otpfix:ignore fake-a\n"
    assert result.remaining == ()

    class DropBoom(FakeDrop):
        """Test rule."""

        id = "fake-drop"

        def check(self, ctx):
            for node in walk(ctx.root):
                if node.type == "call" and call_name(node) == "boom":
                    yield ctx.finding(node, "boom", make_fix("drop", [Edit(node.start_byte, node.end_byte, ":ok")]))

    # fake-drop rewrites `boom()`: fake-a's marker becomes unused during the run. It is
    # reported on the result, without a fix, and kept.
    src = "boom() # otpfix:ignore fake-a\n"
    result = run(src, FakeA(), DropBoom(), UnusedIgnore(), fix=True)
    assert result.fixed == b":ok # otpfix:ignore fake-a\n"
    assert [(f.rule, f.fix) for f in result.remaining] == [("unused-ignore", None)]


def test_per_path_ignored_rules_are_not_judged():
    src = b"defmodule M do\n  def f(x), do: x # otpfix:ignore demonitor-down\nend\n"
    options = RunOptions(
        select=("demonitor-down", "unused-ignore"),
        per_path_ignore=(("test/**", ("demonitor-down",)),),
    )
    out = api.run_sources({"lib/m.ex": src, "test/m.ex": src}, options)
    assert [(f.path, f.rule) for f in out.findings] == [("lib/m.ex", "unused-ignore")]


# -- property: the unused-ignore fix only ever removes comment bytes ------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LINES = [
    "boom()",
    "bang()",
    "x = 1",
    "",
    "# a plain comment",
    "# otpfix:ignore fake-a",
    "# otpfix:ignore fake-b, fake-a",
    "# otpfix:ignore fake-a -- why",
    "# otpfix:ignore-file fake-b",
    "# otpfix:ignore nope",
    "# otpfix:ignore",
    'y = "# otpfix:ignore fake-a"',
]
TAILS = ["", " # otpfix:ignore fake-a", "\t# otpfix:ignore fake-b,fake-a", " # note"]


def _tokens(data: bytes) -> list[tuple[str, bytes]]:
    source = Source(data)
    return [
        (n.type, data[n.start_byte : n.end_byte])
        for n in walk(source.root)
        if n.child_count == 0 and n.type not in ("comment", "source")
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(TAILS)), min_size=1, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_unused_ignore_fix_touches_comments_only(lines, newline, final_newline):
    text = newline.join(
        line + (tail if line and not line.startswith("#") else "") for line, tail in lines
    )
    if final_newline:
        text += newline
    data = text.encode()
    rules = (FakeA(), FakeB(), UnusedIgnore())
    result = process_source("lib/x.ex", data, list(rules), RunOptions(fix=True))
    assert result.error is None and result.notes == ()
    out = result.fixed if result.fixed is not None else data
    assert _tokens(out) == _tokens(data)
    # Same suppressed / reported findings of the real rules, before and after.
    assert [(f.rule, f.span.start) for f in result.findings if f.rule != "unused-ignore"] == [
        (f.rule, f.span.start) for f in process_source("lib/x.ex", data, [FakeA(), FakeB()], RunOptions()).findings
    ]
    assert sorted((f.rule, f.message) for f in result.remaining if f.rule != "unused-ignore") == sorted(
        (f.rule, f.message) for f in result.findings if f.rule != "unused-ignore"
    )
    # No fixable unused marker is left, and a second run changes nothing.
    assert not any(f.fix for f in result.remaining)
    assert process_source("lib/x.ex", out, list(rules), RunOptions(fix=True)).fixed is None
    # Line endings: no lone "\n" appears in a CRLF file.
    if newline == "\r\n":
        assert out.count(b"\n") == out.count(b"\r\n")


def test_byte_order_mark_before_a_marker():
    bom = "\ufeff"
    assert found(run(bom + "# otpfix:ignore fake-a\nboom()\n")) == []
    assert found(run(bom + "# otpfix:ignore-file fake-a\nboom()\n")) == []
    result = run(bom + "# otpfix:ignore fake-b\nboom()\n", fix=True)
    assert result.fixed == (bom + "boom()\n").encode()
    # An insertion moved above a marker on the first line stays after the mark.
    result = run(bom + "# otpfix:ignore fake-a\nwork(boom())\n", FakeA(), FakeInsert(), fix=True)
    assert result.fixed == (bom + ":inserted\n# otpfix:ignore fake-a\nwork(boom())\n").encode()
