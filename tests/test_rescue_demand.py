"""narrow-rescue / broad-catch: demand-driven facts (`wanted`, `wanted_next`) and the faster
paths of their analysis, checked against the plain ones."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Node, QueryCursor

from otpfix import api, registry
from otpfix.engine import key_base
from otpfix.syntax import Source, defined_module_keys, compile_query, effective_args, operator, text_of, walk
from otpfix.transform import Context
from otpfix.transforms import _protected
from otpfix.types import RunOptions

from golden_cases import GOLDEN, discover as discover_cases

RULES = ("narrow-rescue", "broad-catch")


def rule(rule_id: str, **options):
    return registry.get(rule_id)(options or None)


def ctx_of(data: bytes, path: str, r, project=None) -> Context:
    return Context(Source(data, path), path, project).for_rule(r)


def wanted(r, data: bytes, path: str = "lib/a.ex") -> list[bytes]:
    return sorted(r.wanted(ctx_of(data, path, r)))


def facts_of(r, data: bytes, path: str = "lib/a.ex"):
    return r.collect(ctx_of(data, path, r))


# -- pre-filters ---------------------------------------------------------------------------


def test_needles_split_between_check_and_collect() -> None:
    nr, bc = rule("narrow-rescue"), rule("broad-catch")
    plain = b"defmodule A do\n  def f(x), do: Map.fetch!(x, :k)\nend\n"
    assert not nr.could_match(plain) and not bc.could_match(plain)
    assert nr.could_collect(plain) and bc.could_collect(plain)
    assert facts_of(nr, plain) == {"A": {"f": facts_of(nr, plain)["A"]["f"]}}
    # No defmodule: no facts, so nothing to collect.
    script = b"def f(x), do: x\ntry do\n  f(1)\nrescue\n  _ -> 2\ncatch\n  _, _ -> 3\nend\n"
    assert not nr.could_collect(script) and facts_of(nr, script) is None
    assert nr.could_match(script) and bc.could_match(script)


# -- wanted / wanted_next on the golden directory cases --------------------------------------


def test_wanted_on_golden_project_cases() -> None:
    nr = rule("narrow-rescue")
    lib = GOLDEN / "narrow-rescue" / "project_calls" / "lib"
    loader, parser = (lib / "loader.ex").read_bytes(), (lib / "parser.ex").read_bytes()
    # Loader calls Golden.NarrowRescue.Project.Parser.{fetch,parse!,external}.
    assert wanted(nr, loader, "lib/loader.ex") == [b"Parser/external", b"Parser/fetch", b"Parser/parse!"]
    # Parser.external/1 calls ...Project.Missing.run/1: following Parser's facts needs it.
    parser_facts = facts_of(nr, parser, "lib/parser.ex")
    assert sorted(nr.wanted_next(parser_facts)) == [b"Missing/run"]
    # Only what is wanted of the file is followed: fetch/1 and parse!/1 call no project code.
    assert list(nr.wanted_next(parser_facts, frozenset({b"Parser/fetch", b"Parser/parse!"}))) == []
    assert list(nr.wanted_next(parser_facts, frozenset({b"Parser/external"}))) == [b"Missing/run"]

    bc = rule("broad-catch")
    lib = GOLDEN / "broad-catch" / "project_calls" / "lib"
    users, cache = (lib / "users.ex").read_bytes(), (lib / "cache.ex").read_bytes()
    assert wanted(bc, users, "lib/users.ex") == [b"Cache/get"]
    # Cache only calls GenServer (in the table): nothing further to follow.
    assert list(bc.wanted_next(facts_of(bc, cache, "lib/cache.ex"))) == []


@pytest.mark.parametrize("rule_id", RULES)
def test_table_and_erlang_calls_are_not_wanted(rule_id: str) -> None:
    keyword = "rescue\n    _ ->" if rule_id == "narrow-rescue" else "catch\n    _, _ ->"
    src = f"""\
defmodule A do
  def f(x) do
    Map.fetch!(x, :k) |> Enum.map(&(&1 + 1))
    Jason.decode!(x)
    GenServer.call(x, :get)
    :ssl.connect(x, 443, [])
    MyApp.Repo.get!(Post, 1)
  {keyword} nil
  end
end
""".encode()
    assert wanted(rule(rule_id), src) == []
    # A project module, a Repo function outside the table: both are looked up.
    src = src.replace(b"Jason.decode!(x)", b"Helpers.Text.clean(x)\n    MyApp.Repo.custom(x)")
    assert [k.partition(b"/")[0] for k in wanted(rule(rule_id), src)] == [b"Repo", b"Text"]


def test_aliases_local_calls_and_exempt_code_in_wanted() -> None:
    nr = rule("narrow-rescue")
    src = b"""\
defmodule A do
  alias Deep.Name.Space, as: S

  def f(x) do
    helper(x)
  rescue
    _ -> nil
  end

  defp helper(x), do: S.run(x)

  def g(fun) do
    fun.(Other.Mod.call())
  rescue
    _ -> nil
  end

  def h(x) do
    Quoted.never(x)
  rescue
    e -> reraise e, __STACKTRACE__
  end
end
"""
    # helper/1 is followed (S expands to Deep.Name.Space); g/1 is analysed too (its
    # foreign code is found by the same analysis that looks Other.Mod up); h/1 re-raises
    # (no analysis, no lookup).
    assert wanted(nr, src) == [b"Mod/call", b"Space/run"]


def test_wanted_next_covers_remote_targets_and_locals() -> None:
    nr = rule("narrow-rescue")
    facts = {
        "A.B": {
            "f": {"raises": {}, "unknown": {"C.D.g/1": "", ":x.y/0": ""}, "foreign": [], "exits": [],
                  "throws": [], "remote": {"C.D.g/1": "C.D.g", ":x.y/0": ":x.y"}, "locals": ["h"]},
        }
    }
    assert sorted(nr.wanted_next(facts)) == [b"B/h", b"D/g"]
    assert list(nr.wanted_next(facts, frozenset({b"B/other"}))) == []
    assert list(nr.wanted_next(None)) == []


# -- exactness: checking with only the facts of the wanted files changes nothing -----------


CHAIN = {
    "lib/a.ex": b"""\
defmodule Chain.Front do
  alias Chain.Middle

  def go(x) do
    Middle.step(x)
  rescue
    _ -> :error
  end
end
""",
    "lib/b.ex": b"""\
defmodule Chain.Middle do
  def step(x), do: Chain.Last.last(x)
end
""",
    "lib/c.ex": b"""\
defmodule Chain.Last do
  def last(x), do: Map.fetch!(x, :k)
end
""",
    "lib/unrelated.ex": b"""\
defmodule Chain.Unrelated do
  def other(x), do: String.to_integer(x)
end
""",
}


def closure(r, files: dict[str, bytes], path: str, facts: dict) -> set[str]:
    """The files whose facts the engine collects for `path` (as `api._collect_wanted`
    does): those that provide a wanted key, then, following in each collected file the
    wanted keys it provides, those that provide what that wants next, until nothing new."""
    provided = {p: r.provides(d) for p, d in files.items()}

    def provides(p: str, key: bytes) -> bool:
        keys = provided[p]
        return keys is None or key in keys or key_base(key) in keys

    demanded = set(r.wanted(ctx_of(files[path], path, r)))
    chosen: set[str] = set()
    followed: dict[str, set[bytes]] = {}
    changed = True
    while changed:
        changed = False
        new = {p for p in files if p not in chosen and any(provides(p, k) for k in demanded)}
        if new:
            chosen |= new
            changed = True
        for p in sorted(chosen):
            keys = {k for k in demanded if provides(p, k)} - followed.setdefault(p, set())
            if keys:
                followed[p] |= keys
                more = set(r.wanted_next(facts.get(p), frozenset(keys))) - demanded
                if more:
                    demanded |= more
                    changed = True
    return chosen


def findings(r, data: bytes, path: str, project: dict, via_wanted: bool) -> list:
    ctx = ctx_of(data, path, r, {r.id: project})
    if via_wanted:
        r.wanted(ctx)  # same parse: check reuses what wanted recorded
    return [(f.span, f.message, f.fix) for f in r.check(ctx)]


def assert_exact(r, files: dict[str, bytes]) -> int:
    facts = {p: f for p, d in files.items() if r.could_collect(d) and (f := facts_of(r, d, p)) is not None}
    checked = 0
    for path, data in files.items():
        if not r.could_match(data):
            continue
        checked += 1
        full = findings(r, data, path, facts, via_wanted=False)
        keep = closure(r, files, path, facts)
        restricted = {p: f for p, f in facts.items() if p in keep}
        assert findings(r, data, path, restricted, via_wanted=False) == full, path
        assert findings(r, data, path, restricted, via_wanted=True) == full, path
        assert findings(r, data, path, facts, via_wanted=True) == full, path
    return checked


def test_chain_needs_wanted_next() -> None:
    nr = rule("narrow-rescue")
    a = CHAIN["lib/a.ex"]
    assert wanted(nr, a) == [b"Middle/step"]
    facts = {p: facts_of(nr, d, p) for p, d in CHAIN.items()}
    assert sorted(nr.wanted_next(facts["lib/b.ex"])) == [b"Last/last"]
    assert closure(nr, CHAIN, "lib/a.ex", facts) == {"lib/b.ex", "lib/c.ex"}
    # Without C's facts the call is unresolved; with them it narrows to KeyError.
    without_c = {p: f for p, f in facts.items() if p != "lib/c.ex"}
    assert "unknown" in findings(nr, a, "lib/a.ex", without_c, False)[0][1]
    (span, message, fix) = findings(nr, a, "lib/a.ex", facts, False)[0]
    assert fix is not None and "only KeyError" in message
    assert assert_exact(nr, CHAIN) == 1
    # End to end through the engine (demand-driven collect).
    results = api.run_sources(dict(CHAIN), RunOptions(select=("narrow-rescue",), fix=True)).results
    fixed = {r.path: r.fixed for r in results}
    assert b"_ in KeyError ->" in fixed["lib/a.ex"]


def golden_file_sets() -> list[tuple[str, str, dict[str, bytes]]]:
    """Every golden case of every rule as a set of files (a directory case together), for
    both rules (the other rules' cases are varied Elixir too)."""
    out = []
    for case in discover_cases():
        files = {rel: (case.root / rel).read_bytes() for rel in case.inputs}
        for rid in RULES:
            out.append((rid, case.id, files))
    return out


@pytest.mark.parametrize("rule_id", RULES)
def test_wanted_is_exact_on_every_golden_case(rule_id: str) -> None:
    r = rule(rule_id)
    checked = 0
    for rid, _case, files in golden_file_sets():
        if rid == rule_id:
            checked += assert_exact(r, files)
    assert checked > 20
    # All golden cases of this rule together (one project): still exact.
    together = {}
    for case in discover_cases():
        if case.rule == rule_id:
            for rel in case.inputs:
                together[f"{case.name}/{rel}"] = (case.root / rel).read_bytes()
    assert assert_exact(r, together) > 10


# -- the faster structural paths agree with the plain ones ----------------------------------


def golden_sources() -> list[Source]:
    out = []
    for path in sorted(GOLDEN.rglob("*.ex*")):
        data = path.read_bytes()
        out.append(Source(data, str(path)))
    return out


def _ids(nodes: list[Node]) -> list[tuple[int, int, str]]:
    return [(n.start_byte, n.end_byte, n.type) for n in nodes]


def test_clause_blocks_and_defmodules_match_the_queries() -> None:
    sources = golden_sources()
    sources.append(Source(b"defmodule A do\n  def f do\n    x\n  rescue\n    _ -> (\n  end\nend\n"))
    sources.append(Source(b'defmodule_x = 1\n"defmodule"\n# defmodule\ndefmodule(B, do: nil)\n'))
    seen_errors = False
    for src in sources:
        seen_errors |= src.root.has_error
        for block, kw in (("rescue_block", b"rescue"), ("catch_block", b"catch")):
            query = src.captures(f"({block}) @b", "b")
            assert _ids(_protected.clause_blocks(src, block, kw)) == _ids(query), src.path
        cursor = QueryCursor(compile_query(_protected._DEFMODULE_QUERY))
        query = sorted(cursor.captures(src.root).get("m", []), key=lambda n: n.start_byte)
        fast = _protected.defmodule_calls(src.root, src.data)
        assert _ids(fast) == _ids(query), src.path
    assert seen_errors


def _plain_arity(call: Node) -> int:
    parent = call.parent
    if (
        parent is not None
        and parent.type == "binary_operator"
        and operator(parent) == "/"
        and parent.child_by_field_name("left") == call
        and parent.parent is not None
        and parent.parent.type == "unary_operator"
        and operator(parent.parent) == "&"
    ):
        right = parent.child_by_field_name("right")
        if right is not None and right.type == "integer":
            return int(text_of(right))
    return len(effective_args(call))


def test_arity_matches_effective_args() -> None:
    count = 0
    for src in golden_sources() + [Source(b"x |> f(# c\n 1)\n&g/2\n&h/x\ny |> (&k/1).()\n")]:
        for n in walk(src.root):
            if n.type == "call":
                count += 1
                assert _protected._arity(n) == _plain_arity(n), (src.path, text_of(n))
    assert count > 1000


def test_project_view_merges_like_merge_project() -> None:
    f1 = {"raises": {"KeyError": "a"}, "unknown": {}, "foreign": [], "exits": ["x"], "throws": [],
          "remote": {}, "locals": ["l1"]}
    f2 = {"raises": {"ArgumentError": "b", "KeyError": "c"}, "unknown": {"u": ""}, "foreign": [],
          "exits": ["y", "x"], "throws": [], "remote": {"u": "Z.u"}, "locals": ["l2"]}
    project = {"b.ex": {"M": {"f": f2, "g": f1}}, "a.ex": {"M": {"f": f1}, "N": {}}, "c.ex": None}
    merged = _protected.merge_project(project)
    view = _protected.ProjectView(project)
    for module in ("M", "N", "Missing"):
        assert view.get(module, {}) == merged.get(module, {})
        if module in merged:
            assert list(view[module]) == list(merged[module])
            assert repr(view[module]) == repr(merged[module])
    with pytest.raises(KeyError):
        view["Missing"]


# -- provides: Mod/fun keys from the bytes ---------------------------------------------------


@pytest.mark.parametrize(
    "source, keys",
    [
        # every module key with every def/defp name (a function's name is its head's first token)
        (b"defmodule A.B do\n  def foo(x), do: x\n  defp bar?, do: 1\n  def baz(x) when x > 0, do: x\nend\n",
         [b"B/bar?", b"B/baz", b"B/foo"]),
        (b"defmodule M do\n  def(caf\xc3\xa9(x), do: x)\n  defmacro m, do: 1\nend\n", [b"M/caf\xc3\xa9"]),
        # not definitions: a remote call, an atom, an attribute, longer words
        (b"defmodule Q do\n  @def 1\n  x = :def\n  Kernel.def(y)\n  undef(1)\n  def z, do: 1\nend\n", [b"Q/z"]),
        # a head that does not start with a name (unquote is a name: over-approximated)
        (b"defmodule U do\n  def unquote(n)(x), do: x\nend\n", [b"U/unquote"]),
        (b'defmodule S do\n  def "weird", do: 1\nend\n', [b"S"]),  # any function of S
        (b"defmodule E do\n  # `def` inside a comment\nend\n", [b"E"]),
        (b"x = 1\n", []),
    ],
)
def test_function_keys(source: bytes, keys: list[bytes]) -> None:
    assert sorted(_protected.function_keys(source)) == keys


_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEAD = re.compile(rb"(?:\s|\(|#[^\n]*)*([^\s(),;]*)")


def plain_function_keys(data: bytes) -> list[bytes] | None:
    """`function_keys` the slow way (one `def` occurrence at a time, byte checks): the
    reference for the one-regex version."""
    modules = defined_module_keys(data)
    if modules is None:
        return None
    names: set[bytes] = set()
    at = data.find(b"def")
    while at != -1:
        end = at + 3 + (data[at + 3 : at + 4] == b"p")
        before = data[at - 1] if at else None
        after = data[end] if end < len(data) else None
        if (before is None or (before not in _WORD and before not in b".:@")) and (
            after is None or (after not in _WORD and after not in b"?!:")
        ):
            token = _HEAD.match(data, end).group(1)
            try:
                text = token.decode("utf-8")
            except UnicodeDecodeError:
                return modules
            if not re.match(r"[^\W\d]\w*[?!]?\Z", text):
                return modules
            names.add(token)
        at = data.find(b"def", at + 3)
    return [m + b"/" + n for m in modules for n in sorted(names)]


_PIECES = [b"def", b"defp", b"defmodule", b" M", b" A.B", b"(", b")", b" ", b"\n", b"# c\n", b"x", b"y?",
           b"!", b":", b".", b"@", b"p", b"_", b"1", b",", b";", b"\xc3\xa9", b"\xff", b'"s"', b"undef"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_function_keys_equal_the_plain_scan(pieces: list[bytes]) -> None:
    data = b"defmodule M do\n" + b"".join(pieces)  # a module: its keys show the names
    fast = _protected.function_keys(data)
    plain = plain_function_keys(data)
    assert (None if fast is None else list(fast)) == plain


def test_function_keys_cover_every_collected_function() -> None:
    """On every golden input of both rules: every (module, function) of the facts has its
    key among the file's `provides` (exactly, or through its bare module key)."""
    nr = rule("narrow-rescue")
    checked = 0
    for case in discover_cases():
        if case.rule not in RULES:
            continue
        for rel in case.inputs:
            data = (case.root / rel).read_bytes()
            facts = facts_of(nr, data, rel) or {}
            provided = set(nr.provides(data) or ())
            for module, funs in facts.items():
                for fun in funs:
                    key = _protected.want_of(module, fun)
                    assert key in provided or key.partition(b"/")[0] in provided, (rel, key)
                    checked += 1
    assert checked > 50


def test_both_rules_share_facts_only_with_the_same_options() -> None:
    """Same `facts_key` exactly when `collect` gives the same facts: the engine then
    collects a file for both rules in one call."""
    nr, bc = rule("narrow-rescue"), rule("broad-catch")
    assert nr.facts_key() == bc.facts_key()
    data = b"defmodule M do\n  def f(x), do: String.to_integer(x)\n  def g, do: exit(:boom)\nend\n"
    assert facts_of(nr, data, "lib/m.ex") == facts_of(bc, data, "lib/m.ex")
    custom = rule("broad-catch", exits=["M.g"])
    assert custom.facts_key() != nr.facts_key()
    assert rule("narrow-rescue", raisers={"M.f": ["ArgumentError"]}).facts_key() != nr.facts_key()
