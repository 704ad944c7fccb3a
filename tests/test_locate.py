"""The byte-position shortcuts of god-module, blocking-callback, mix-env-supervision,
mix-env-runtime, telemetry-control-flow and atomic-rate-limit find exactly what a walk of
the whole tree finds, and their pre-filters skip no file the rule could report on.

The reference side of each comparison is the plain walk or query the rule used before
(transforms/_locate.py explains why the shortcut is exact); the inputs are every golden
input, the example app and the odd spellings below."""

from __future__ import annotations

from pathlib import Path

import pytest

from otpfix import api
from otpfix.syntax import Source, call_args, call_name, def_body, effective_args, operator, text_of, walk
from otpfix.types import RunOptions
from transforms import blocking_callback, god_module
from transforms._locate import CallNames
from transforms._otp import ModuleGraph, modules, uses_behaviour

ROOT = Path(__file__).resolve().parent.parent

# Spellings a search for the whole name would miss: whitespace around the dot, a newline
# after it, aliases and atoms on the left, anonymous calls on compound expressions.
ODD = b"""\
defmodule Odd.Server do
  use(GenServer)
  @behaviour :gen_server
  @doc false
  @ moduledoc "spaced"

  def init(arg), do: {:ok, arg}

  def handle_call({:run, fun}, _from, state) do
    Process.
      sleep(10)
    Process . sleep(1)
    Mint.HTTP.connect(:http, "x", 80)
    Mint . HTTP.connect(:http, "x", 80)
    state.cb.(1)
    fun.(2)
    apply(fun, [])
    x = Mix.env()
    y = Mix . env()
    z = Mix.
      env()
    Task.async(fn -> Process.sleep(5) end)
    Task.async(&helper/0)
    quote do: Process.sleep(3)
    :ets.update_counter(:t, :k, 1)
    :ets . update_counter(:t, :k, -1)
    t |> :ets.update_counter(:k, {2, 1})
    &Process.sleep/1
    helper() |> other(1)
    {:reply, {x, y, z, helper(), other(1, 2)}, state}
  end

  def handle_info(:tick, state), do: {:noreply, Supervisor.init([], strategy: :one_for_one) && state}

  defp helper, do: GenServer.call(__MODULE__, :x, :infinity)
  defp other(a, b) do
    receive do
      m -> {m, a, b}
    after
      1000 -> :ok
    end
  end

  defmodule Inner do
    @moduledoc false
    use GenServer
    def handle_cast(_m, s), do: {:noreply, Process.sleep(1) || s}
  end
end

defimpl Odd.Proto, for: Odd.Server do
  def f(_), do: :ok
end

defprotocol Odd.Proto do
  def f(x)
end
"""


def _inputs() -> list[tuple[str, bytes]]:
    out = [("odd.ex", ODD)]
    for base in (ROOT / "golden", ROOT / "examples"):
        for path in sorted(base.rglob("*.ex*")):
            data = path.read_bytes()
            if b"\x00" not in data:
                out.append((str(path.relative_to(ROOT)), data))
    return out


INPUTS = _inputs()
SOURCES = [(name, Source(data, name)) for name, data in INPUTS]

NAMES = (
    "Mix.env",
    "Supervisor.start_link",
    "Supervisor.init",
    "receive",
    "defmodule",
    "apply",
    ":ets.update_counter",
    ":telemetry.attach",
    "Process.sleep",
    "GenServer.call",
    "Mint.HTTP.connect",
    "fun.",
    "state.cb.",
)
PREFIXES = ("Mint.", "Task.", ":ets.", "Process.")


def test_the_odd_spellings_are_what_the_tree_says():
    """The comparisons below mean something only if the odd spellings parse as calls
    with these names (if the grammar changes, this says so first)."""
    names = [call_name(n) for n in walk(Source(ODD).root) if n.type == "call"]
    assert names.count("Process.sleep") == 6
    assert names.count("Mix.env") == 3
    assert names.count(":ets.update_counter") == 3
    assert "state.cb." in names and "fun." in names
    assert names.count("Mint.HTTP.connect") == 1  # the alias `Mint . HTTP` keeps its spaces


@pytest.mark.parametrize("names, prefixes", [(NAMES, ()), ((), PREFIXES), (NAMES, PREFIXES)])
def test_calls_named_finds_what_a_walk_finds(names, prefixes):
    wanted = CallNames(names, prefixes)
    for name, source in SOURCES:
        expected = [
            n for n in walk(source.root)
            if n.type == "call" and (call_name(n) in names or (call_name(n) or "\0").startswith(prefixes))
        ]
        found = wanted.find(source.root, source.data)
        assert [(n.start_byte, n.end_byte) for n in found] == [(n.start_byte, n.end_byte) for n in expected], name


def test_calls_named_within_a_range():
    source = Source(ODD)
    module = next(n for n in walk(source.root) if n.type == "call" and text_of(n).startswith("defmodule Inner"))
    found = CallNames({"Process.sleep"}).find(module, source.data, module.start_byte, module.end_byte)
    assert [text_of(n) for n in found] == ["Process.sleep(1)"]


def test_a_name_with_no_first_word_is_refused():
    with pytest.raises(ValueError):
        CallNames({".x"}).find(Source(ODD).root, ODD)


# -- god-module ----------------------------------------------------------------------------

MODULES_QUERY = """
(call target: (identifier) @kw (#any-of? @kw "defmodule" "defimpl" "defprotocol")) @module
"""
DOCS_QUERY = """
(unary_operator operand: (call target: (identifier) @name
  (#any-of? @name "moduledoc" "doc" "typedoc" "shortdoc"))) @doc
"""


def _ranges(nodes):
    return sorted((n.start_byte, n.end_byte) for n in nodes)


def test_god_module_finds_the_nodes_its_queries_found():
    for name, source in SOURCES:
        assert [(n.start_byte, n.end_byte) for n in god_module._definitions(source.root, source.data)] == [
            (n.start_byte, n.end_byte) for n in source.captures(MODULES_QUERY, "module")
        ], name
        assert _ranges(god_module._doc_attributes(source.root, source.data)) == _ranges(
            source.captures(DOCS_QUERY, "doc")
        ), name


def _god(data: bytes, limit: int) -> list[str]:
    options = RunOptions(select=("god-module",), rule_options={"god-module": {"max_lines": limit}})
    return [f.message for r in api.run_sources({"lib/big.ex": data}, options).results for f in r.findings]


def _module(code_lines: int, padding: bytes) -> bytes:
    body = b"".join(b"  def f%d, do: %d\n%s" % (i, i, padding) for i in range(code_lines - 2))
    return b"defmodule Big do\n" + body + b"end\n"


def test_god_module_pre_filter_keeps_a_module_one_line_over_the_limit():
    # 11 lines of code among 40: the pre-filter (lines of code in the file) must let it through.
    data = _module(11, b"\n  # a comment\n   \t\n")
    assert data.count(b"\n") > 30
    assert _god(data, 10) == [
        "module Big has 11 lines of code of its own (limit 10; documentation, blank lines, comments "
        "and nested modules not counted); split it by responsibility: move each group of related "
        "functions into its own module and delegate to it"
    ]
    assert _god(data, 11) == []
    rule = god_module.GodModule({"max_lines": 11})
    assert not rule.could_match(data) and rule.could_match(_module(12, b"\n"))


def test_god_module_counts_crlf_and_comment_lines_like_the_check():
    data = _module(11, b"\r\n  #\r\n").replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    assert len(_god(data, 10)) == 1 and _god(data, 11) == []


# -- blocking-callback ---------------------------------------------------------------------


def test_blocking_callback_finds_the_genserver_modules_a_walk_finds():
    for name, source in SOURCES:
        expected = [m for m in modules(source.root) if uses_behaviour(m, blocking_callback.GENSERVER)]
        found = blocking_callback._genserver_modules(source.root, source.data)
        assert [m.start_byte for m in found] == [m.start_byte for m in expected], name


def test_blocking_callback_local_calls_are_the_walks():
    for name, source in SOURCES:
        for module in modules(source.root):
            walked = ModuleGraph(module, skip=blocking_callback._runs_elsewhere)
            located = blocking_callback._Graph(module, source.data)
            for clause in walked.clauses:
                expected = [(n.start_byte, f, a, [t.start_byte for t in ts]) for n, f, a, ts in walked.calls(clause)]
                got = [(n.start_byte, f, a, [t.start_byte for t in ts]) for n, f, a, ts in located.calls(clause)]
                assert got == expected, (name, text_of(clause)[:60])


def _walked_sites(rule, clause, attrs, own):
    """The site search of blocking-callback as it was: a pre-order walk of the body."""
    body = def_body(clause)
    if body is None:
        return
    stack = [body]
    while stack:
        n = stack.pop()
        if blocking_callback._runs_elsewhere(n) or (n.type == "call" and call_name(n) == "quote"):
            continue
        stack.extend(reversed(n.children))
        name = call_name(n) if n.type == "call" else None
        if name is None:
            continue
        if name == "receive":
            timeout = blocking_callback._after_timeout(n, attrs) if rule.options["receive_after"] else None
            if timeout is not None:
                yield n, f"receive:{timeout}"
            continue
        if not any(c.type == "arguments" for c in n.named_children):
            parent = n.parent
            if parent is not None and parent.type == "binary_operator" and operator(parent) == "/":
                if rule._blocking_name(name):
                    yield n, f"call:{name}"
            continue
        if rule._blocking_name(name):
            yield n, f"call:{name}"
            continue
        args = effective_args(n)
        if rule.options["self_call"] and name in blocking_callback.SELF_CALLS and args:
            target = blocking_callback._normalize(text_of(args[0]))
            if target in own:
                yield n, f"self:{name}:{target}"
                continue
        if name in rule._infinity and any(a.type == "atom" and text_of(a) == ":infinity" for a in args[1:]):
            yield n, f"infinity:{name}"


@pytest.mark.parametrize(
    "options",
    [{}, {"extra_calls": ["Mint.*", "Enum.map", "helper"]}, {"calls": [".*", "Process.sleep"]}],
)
def test_blocking_callback_sites_are_the_walks(options):
    rule = blocking_callback.BlockingCallback(options)
    checked = 0
    for name, source in SOURCES:
        for module in modules(source.root):
            attrs = blocking_callback.module_attributes(module)
            own = blocking_callback._own_names(module, source.data)
            for clause in ModuleGraph(module).clauses:
                expected = [(n.start_byte, w) for n, w in _walked_sites(rule, clause, attrs, own)]
                got = [(n.start_byte, w) for n, w in rule._sites(clause, source.data, attrs, own)]
                assert got == expected, (name, text_of(clause)[:60])
                checked += len(got)
    assert checked > 10


def test_blocking_callback_reports_the_odd_spellings():
    run = api.run_sources({"lib/odd.ex": ODD}, RunOptions(select=("blocking-callback",)))
    lines = sorted({f.span.line for r in run.results for f in r.findings})
    # Process.\n sleep, Process . sleep, Mint.HTTP.connect, fun.(2), apply(fun, []),
    # &Process.sleep/1, the self-call in helper/0, the receive in other/2 and the inner
    # module's sleep; not the sleep handed to Task.async nor the quoted one.
    assert lines == [10, 12, 13, 16, 17, 28, 35, 37, 47]


# -- mix-env-supervision, mix-env-runtime --------------------------------------------------

ENV_CHILDREN = b"""\
defmodule MyApp.Sup do
  use Supervisor

  def init(_) do
    children = if Mix . env() == :test, do: [], else: [MyApp.Worker]
    Supervisor.init(children, strategy: :one_for_one)
  end

  def debug?, do: Mix.env() == :dev
  def env, do: Mix.
    env()
end
"""


def test_mix_env_rules_find_every_spelling():
    run = api.run_sources(
        {"lib/sup.ex": ENV_CHILDREN}, RunOptions(select=("mix-env-supervision", "mix-env-runtime"))
    )
    found = [(f.rule, f.span.line) for r in run.results for f in r.findings]
    assert found == [("mix-env-supervision", 5), ("mix-env-runtime", 9), ("mix-env-runtime", 10)]
    # without the word "Supervisor" no supervisor call can hold the conditional
    alone = ENV_CHILDREN.replace(b"Supervisor.init(", b"Other.init(").replace(b"use Supervisor", b"")
    rule = __import__("transforms.mix_env_supervision", fromlist=["x"]).MixEnvSupervision()
    assert rule.could_match(ENV_CHILDREN) and not rule.could_match(alone)


def test_call_args_is_unchanged_for_the_env_calls():
    # `Mix.env` without parentheses is still a call with no arguments (what mix-env-runtime tests)
    source = Source(b"def f, do: Mix.env\n")
    (node,) = CallNames({"Mix.env"}).find(source.root, source.data)
    assert call_args(node) == []


@pytest.mark.parametrize(
    "callback, reported",
    [
        ("def init(_), do: {:ok, Process.sleep(1)}", True),
        ("def handle_continue(_c, s), do: {:noreply, Process.sleep(1) || s}", True),
        ("def handle_info(_m, s), do: {:noreply, Process.sleep(1) || s}", True),
        ("def start(_), do: Process.sleep(1)", False),  # no callback: filtered before parsing
    ],
)
def test_blocking_callback_pre_filter_keeps_every_callback(callback, reported):
    data = f"defmodule Only do\n  use GenServer\n  {callback}\nend\n".encode()
    run = api.run_sources({"lib/only.ex": data}, RunOptions(select=("blocking-callback",)))
    assert bool([f for r in run.results for f in r.findings]) is reported
    assert blocking_callback.BlockingCallback().could_match(data) is reported
