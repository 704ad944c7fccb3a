"""The byte pre-filters (`could_match`) of the detector rules are exact: a file they skip
is one on which `check` finds nothing.

Each test runs `check` directly (no pre-filter) and asserts that wherever it finds
something, `could_match` lets the file through: on hand-written edge cases (tokens that
end right before a name, blanks and comments inside a remote call), on every golden input,
and on byte mutations of the golden inputs (which also produce trees with syntax errors).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden_cases import discover
from otpfix import registry
from otpfix.suppress import Suppressions
from otpfix.syntax import Source
from otpfix.transform import Context

#: (rule id, options): the rules with a refined `could_match`, with the options it reads.
RULES = [
    ("raw-send", {}),
    ("raw-send", {"strict": True}),
    ("demonitor-on-remove", {}),
    ("discarded-monitor", {}),
    ("demonitor-down", {}),
    ("raw-spawn", {}),
    ("raw-spawn", {"supervisor": "MyApp.TaskSupervisor"}),
    ("process-dict", {}),
    ("unused-ignore", {}),
]
IDS = [f"{r}{'-' + '-'.join(o) if o else ''}" for r, o in RULES]
ALL = registry.resolve(None)
ENABLED = frozenset(r.id for r in ALL)


def make(rule_id: str, options: dict):
    return registry.get(rule_id)(options)


def unfiltered(rule, data: bytes) -> list:
    """What `check` finds on `data` when nothing is skipped."""
    source = Source(data, "lib/case.ex")
    ctx = Context(source, "lib/case.ex", {})
    ctx.enabled = ENABLED
    if rule.after_suppression:
        others = []
        for other in ALL:
            if not other.after_suppression:
                others.extend(other.check(ctx.for_rule(other)) or ())
        ctx.suppressions = Suppressions(source)
        ctx.suppressions.filter(others)
    return list(rule.check(ctx.for_rule(rule)) or ())


# (rule id, options, source): cases where `check` finds something that a plausible but
# wrong pre-filter would skip.
EDGES = [
    # A token can end right before the name: the integer `1`, the char `?a`, the hex
    # integer `0xA` (syntax errors, but tree-sitter still sees a call of send/2).
    ("raw-send", {"strict": True}, b"def f(p), do: 1send(p, :m)\n"),
    ("raw-send", {"strict": True}, b"def f(p), do: ?asend(p, :m)\n"),
    ("raw-send", {"strict": True}, b"def f(p), do: 0xAsend(p, :m)\n"),
    ("raw-spawn", {}, b"def f, do: 1spawn(fn -> :ok end)\n"),
    # Blanks, a line break or a comment around the dot of a remote call.
    ("raw-send", {"strict": True}, b"def f(p) do\n  Kernel.\n    send(p, :m)\nend\n"),
    ("process-dict", {}, b"def f, do: Process .put(:k, 1)\n"),
    ("process-dict", {}, b"def f do\n  Process.\n    get(:k)\nend\n"),
    ("process-dict", {}, b"def f do\n  Process # the dictionary\n  .delete(:k)\nend\n"),
    (
        "discarded-monitor",
        {},
        b"defmodule M do\n  def f(pid) do\n    Process .monitor(pid)\n    :ok\n  end\nend\n",
    ),
    (
        "raw-send",
        {},
        b"""defmodule M do
  def call(server) do
    Kernel . send(server, {:get, self()})

    receive do
      {:reply, value} -> value
    after
      1_000 -> :timeout
    end
  end
end
""",
    ),
    (
        "demonitor-down",
        {},
        b"""defmodule M do
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state), do: {:noreply, state}
end
""",
    ),
    ("unused-ignore", {}, b"defmodule M do\n  def f, do: :ok #\totpfix:ignore raw-spawn\nend\n"),
]


@pytest.mark.parametrize("rule_id,options,data", EDGES)
def test_edge_cases_are_not_skipped(rule_id: str, options: dict, data: bytes) -> None:
    rule = make(rule_id, options)
    assert unfiltered(rule, data), "the case must produce a finding"
    assert rule.could_match(data)


# The pre-filters do skip what cannot match (these would pass the plain needles).
SKIPPED = [
    ("raw-send", {}, b"def f(conn), do: send_resp(conn, 200, resend(conn))\n"),
    ("raw-send", {}, b"def f(pid), do: send(pid, :ping)\n"),  # neither a call nor a receive
    ("discarded-monitor", {}, b"def f(pid), do: Process.monitor_all(pid)\n"),
    ("demonitor-on-remove", {}, b"def f(pid), do: {Process.monitor(pid), Map.new()}\n"),
    ("demonitor-down", {}, b"def f(:DOWNLOAD), do: :ok\n"),
    ("raw-spawn", {}, b"def f, do: Task.Supervisor.spawn_task(fn -> :ok end)\n"),
    ("process-dict", {}, b"def f, do: Process.get_keys()\n"),
    ("unused-ignore", {}, b'@moduledoc "otpfix:ignore RULE names the rules to silence"\n'),
]


@pytest.mark.parametrize("rule_id,options,data", SKIPPED)
def test_what_cannot_match_is_skipped(rule_id: str, options: dict, data: bytes) -> None:
    rule = make(rule_id, options)
    assert unfiltered(rule, data) == []
    assert not rule.could_match(data)


GOLDEN = sorted({(c.root / rel).read_bytes() for c in discover() for rel in c.inputs})


@pytest.mark.parametrize("rule_id,options", RULES, ids=IDS)
def test_golden_inputs(rule_id: str, options: dict) -> None:
    rule = make(rule_id, options)
    hits = 0
    for data in GOLDEN:
        if unfiltered(rule, data):
            hits += 1
            assert rule.could_match(data), data.decode()
    assert hits > 0


# Byte mutations of the golden inputs of these rules: insertions of bytes that glue or
# split tokens around the names, and deletions.
MUTATED = sorted(
    {(c.root / rel).read_bytes() for c in discover() if c.rule in {r for r, _ in RULES} for rel in c.inputs}
)
GLUE = [b"1", b"a", b"_", b"?", b"!", b" ", b"\n", b".", b"#", b"(", b"@", b"~", b":"]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(
    pick=st.integers(min_value=0),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(GLUE + [b""]), st.integers(0, 3)), max_size=6
    ),
)
def test_mutated_inputs(pick: int, edits: list) -> None:
    data = MUTATED[pick % len(MUTATED)]
    for at, glue, cut in edits:
        i = at % (len(data) + 1)
        data = data[:i] + glue + data[i + cut :]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    for rule_id, options in RULES:
        rule = make(rule_id, options)
        if not rule.could_match(data):
            assert unfiltered(rule, data) == [], (rule_id, data.decode())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([b"spawn", b"_link", b"send", b"s", b"_", b"1", b"@", b" ", b"(", b"\n"]), max_size=8))
def test_words_match_their_definition(parts: list) -> None:
    """`word`/`atom` find a name exactly where the regex of the definition does."""
    import re

    from otpfix.transforms._needles import atom, word

    data = b"".join(parts)
    cases = [
        (word("spawn", "spawn_link"), rb"(?:spawn_link|spawn)(?![0-9A-Za-z_])"),
        (word("send"), rb"send(?![0-9A-Za-z_])"),
        (atom("s"), rb"s(?![0-9A-Za-z_@])"),
    ]
    for words, regex in cases:
        assert words.found(data) == (re.search(regex, data) is not None), data
