"""The known-raisers table against a real BEAM: the exceptions it lists are the ones raised."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_elixir
from otpfix.transforms import _raisers as table

# (table key, Elixir expression that fails for bad data)
SAMPLES = [
    ("Map.fetch!", "Map.fetch!(%{}, :a)"),
    ("Map.update!", "Map.update!(%{}, :a, & &1)"),
    ("Map.replace!", "Map.replace!(%{}, :a, 1)"),
    ("Keyword.fetch!", "Keyword.fetch!([], :a)"),
    ("Keyword.validate!", "Keyword.validate!([a: 1], [:b])"),
    ("List.keyfind!", "List.keyfind!([], :a, 0)"),
    ("List.to_integer", "List.to_integer('x')"),
    ("Access.fetch!", "Access.fetch!(%{}, :a)"),
    ("Enum.fetch!", "Enum.fetch!([], 1)"),
    ("Enum.reduce/2", "Enum.reduce([], &+/2)"),
    ("Enum.max", "Enum.max([])"),
    ("Enum.random", "Enum.random([])"),
    ("String.to_integer", 'String.to_integer("x")'),
    ("String.to_float", 'String.to_float("x")'),
    ("String.to_existing_atom", 'String.to_existing_atom("otpfix_surely_not_an_atom")'),
    ("String.to_atom", 'String.to_atom(String.duplicate("a", 300))'),
    ("String.to_charlist", "String.to_charlist(<<255>>)"),
    ("Integer.mod", "Integer.mod(1, 0)"),
    ("Integer.pow", "Integer.pow(2, -1)"),
    ("Base.decode64!", 'Base.decode64!("!!")'),
    ("Base.decode16!", 'Base.decode16!("zz")'),
    ("URI.new!", 'URI.new!("ht tp://")'),
    ("URI.merge", 'URI.merge("/relative", "x")'),
    ("Version.parse!", 'Version.parse!("x")'),
    ("Regex.compile!", 'Regex.compile!("(")'),
    ("Date.from_iso8601!", 'Date.from_iso8601!("x")'),
    ("Date.new!", "Date.new!(2020, 13, 1)"),
    ("Time.from_iso8601!", 'Time.from_iso8601!("x")'),
    ("NaiveDateTime.from_iso8601!", 'NaiveDateTime.from_iso8601!("x")'),
    ("DateTime.from_unix!", "DateTime.from_unix!(99_999_999_999_999_999_999)"),
    ("DateTime.now!", 'DateTime.now!("Nope/Zone")'),
    ("File.read!", 'File.read!("/nonexistent/otpfix")'),
    ("File.ls!", 'File.ls!("/nonexistent/otpfix")'),
    ("File.cp!", 'File.cp!("/nonexistent/otpfix", "/nonexistent/otpfix2")'),
    ("File.rename!", 'File.rename!("/nonexistent/otpfix", "/nonexistent/otpfix2")'),
    ("File.stream!", 'Enum.to_list(File.stream!("/nonexistent/otpfix"))'),
    ("Application.fetch_env!", "Application.fetch_env!(:otpfix_nope, :x)"),
    ("System.fetch_env!", 'System.fetch_env!("OTPFIX_SURELY_UNSET")'),
    ("System.cmd", 'System.cmd("otpfix-no-such-command", [])'),
    ("Code.string_to_quoted!", 'Code.string_to_quoted!("(")'),
    ("Code.ensure_compiled!", "Code.ensure_compiled!(OtpfixNope)"),
    ("Process.register", "Process.register(self(), :kernel_sup)"),
    ("Registry.lookup", "Registry.lookup(:otpfix_no_registry, 1)"),
    ("IO.chardata_to_string", "IO.chardata_to_string([0xFFFFFFF])"),
    ("Kernel.elem", "elem({}, 1)"),
    ("Kernel.hd", "hd([])"),
    ("Kernel.div", "div(1, 0)"),
    ("Kernel.send", "send(:otpfix_no_such_name, :x)"),
    ("Kernel.struct!", "struct!(URI, nope: 1)"),
    ("Kernel.put_in", "put_in(%{}, [:a, :b], 1)"),
    ("Tuple.delete_at", "Tuple.delete_at({}, 3)"),
    (":erlang.binary_to_term", ':erlang.binary_to_term("x")'),
    (":erlang.binary_to_integer", ':erlang.binary_to_integer("x")'),
    (":persistent_term.get/1", ":persistent_term.get(:otpfix_nope)"),
    (":maps.get/2", ":maps.get(:a, %{})"),
    (":ets", ":ets.lookup(:otpfix_no_table, 1)"),
    (":zlib", ':zlib.gunzip("x")'),
    (":math", ":math.log(0)"),
    (":binary", ':binary.part("a", 5, 1)'),
    (":queue", ":queue.get(:queue.new())"),
    (":lists.nth", ":lists.nth(5, [1])"),
    (":maps.update", ":maps.update(:a, 1, %{})"),
    ("Module", "Module.get_attribute(Enum, :x)"),
    ("Port.open", 'Port.open({:spawn_executable, "/nonexistent/otpfix"}, [])'),
    ("Calendar.strftime", 'Calendar.strftime(~D[2020-01-01], "%Q")'),
    ("Enum.sum", 'Enum.sum([1, "a"])'),
    ("IO.puts/2", 'IO.puts(:otpfix_no_device, "x")'),
    ("Access.at!", "get_in([1], [Access.at!(5)])"),
    ("Access.key!", "get_in(%{}, [Access.key!(:a)])"),
    ("Integer.floor_div", "Integer.floor_div(1, 0)"),
    ("Tuple.insert_at", "Tuple.insert_at({}, 5, :x)"),
    ("Version.compare", 'Version.compare("x", "1.0.0")'),
    ("Kernel.binary_part", 'binary_part("a", 5, 1)'),
    ("Kernel.put_elem", "put_elem({}, 3, :x)"),
    ("Keyword.get_and_update!", "Keyword.get_and_update!([], :a, &{&1, &1})"),
    ("Map.pop!", "Map.pop!(%{}, :a)"),
    ("Base.url_decode64!", 'Base.url_decode64!("!!")'),
    ("Time.new!", "Time.new!(25, 0, 0)"),
    ("NaiveDateTime.new!", "NaiveDateTime.new!(2020, 13, 1, 0, 0, 0)"),
    ("Date.from_erl!", "Date.from_erl!({2020, 13, 1})"),
    ("List.to_float", "List.to_float('x')"),
    ("List.to_existing_atom", "List.to_existing_atom('otpfix_surely_not_an_atom')"),
    ("Code.format_string!", 'Code.format_string!("(")'),
    ("Kernel.pop_in", "pop_in(nil, [:a, :b])"),
    ("Kernel.update_in", "update_in(%{}, [:a, :b], & &1)"),
    ("Kernel.tl", "tl([])"),
    ("Kernel.rem", "rem(1, 0)"),
    ("OptionParser.parse!", 'OptionParser.parse!(["--nope"], strict: [a: :string])'),
    (":erlang.list_to_pid", ":erlang.list_to_pid('nope')"),
    (":erlang.process_info", ":erlang.process_info(self(), :otpfix_nope)"),
    (":erlang.garbage_collect", ":erlang.garbage_collect(:nope)"),
    (":os.set_signal", ":os.set_signal(:sigkill, :handle)"),
    ("Process", "Process.info(self(), :otpfix_nope)"),
    ("Macro", "Macro.escape(make_ref())"),
    ("Module", "Module.safe_concat([OtpfixSurelyNot, Existing])"),
    ("IO.write/2", '(fn -> {:ok, f} = StringIO.open(""); StringIO.close(f); IO.write(f, "x") end).()'),
    ("Macro.struct!", "Macro.struct!(OtpfixNope, __ENV__)"),
    ("Protocol.assert_impl!", "Protocol.assert_impl!(Enumerable, OtpfixNope)"),
]

SCRIPT = r"""
for {key, code} <- SAMPLES do
  outcome =
    try do
      Code.eval_string(code)
      "no_raise"
    rescue
      e -> inspect(e.__struct__)
    end

  IO.puts(key <> "\t" <> outcome)
end
"""


def _lookup(key: str) -> tuple[str, ...]:
    if key in table.MODULE_WIDE:
        return table.MODULE_WIDE[key]
    return table.BUILTIN[key]


def test_sample_entries_raise_what_the_table_says(tmp_path: Path) -> None:
    pairs = ", ".join(f"{{{json.dumps(k)}, {json.dumps(code)}}}" for k, code in SAMPLES)
    script = SCRIPT.replace("SAMPLES", f"[{pairs}]")
    proc = run_elixir(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    seen = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
    assert set(seen) == {k for k, _ in SAMPLES}
    wrong = {
        key: (raised, _lookup(key))
        for key, raised in seen.items()
        if raised not in _lookup(key)
    }
    assert wrong == {}, f"table disagrees with the BEAM: {wrong}"


# Bang functions of covered modules that are not data raisers: macros, compile-time or
# protocol helpers, or functions whose only failures are caller bugs.
NOT_DATA_RAISERS = {
    "Kernel.!",
    "Kernel.alias!",
    "Kernel.var!",
    "Inspect.impl_for!",  # never raises for data (it returns an implementation)
}


def test_every_bang_function_of_a_covered_module_is_in_the_table(tmp_path: Path) -> None:
    """A module in COMPLETE_MODULES promises that its unlisted functions never raise for
    data: every `name!` it exports (Elixir 1.14) must therefore be listed."""
    library = {"Jason", "HTTPoison", "Req", "Req.Request", "Finch", "Postgrex", "DBConnection"}
    modules = sorted(
        m
        for m in table.COMPLETE_MODULES
        if m[0].isupper() and m not in library and not m.startswith(("Mint.", "Ecto."))
    )
    script = (
        "for m <- ["
        + ", ".join(modules)
        + "], Code.ensure_loaded?(m), {f, _} <- m.__info__(:functions) ++ m.__info__(:macros),"
        + ' String.ends_with?(Atom.to_string(f), "!"), uniq: true do\n'
        + '  IO.puts(inspect(m) <> "." <> Atom.to_string(f))\nend\n'
    )
    proc = run_elixir(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    bangs = set(proc.stdout.split())
    assert "Map.fetch!" in bangs  # the probe works
    missing = sorted(
        b for b in bangs if b not in table.BUILTIN and b not in table.ADAPTER_SPECIFIC and b not in NOT_DATA_RAISERS
    )
    assert missing == []


def test_table_entries_are_well_formed() -> None:
    bad = {}
    for key, value in {**table.BUILTIN, **table.MODULE_WIDE, **table.REPO}.items():
        if not isinstance(value, tuple) or not all(
            isinstance(e, str) and e[0].isupper() and " " not in e for e in value
        ):
            bad[key] = value
    assert bad == {}
    assert table.BUILTIN["String.to_integer"] == ("ArgumentError",)
