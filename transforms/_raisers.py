"""The table of known raisers and exiters used by `narrow-rescue` and `broad-catch`.

Pure data (plus two tiny lookups). Modules whose name starts with `_` are not scanned for
rules, so this file holds no Transform.

Keys are calls as Elixir spells them after alias expansion: "Map.fetch!", ":ets.lookup",
"Kernel.elem" (unqualified Kernel calls are looked up as "Kernel.<name>"). A key may carry an
arity, "Enum.reduce/2", which wins over the bare name. Values are the exception modules the
call raises for bad *data* (a missing key, an unparsable string, a file that does not
exist): the failures a caller can reasonably expect and handle. Exceptions that only a
caller bug produces (`Map.fetch!(nil, :k)` raising BadMapError, `String.to_integer(nil)`
raising FunctionClauseError) are deliberately absent: letting those propagate is the point
of narrowing a rescue.

Checked against Elixir 1.14 / OTP 25 (see tests/test_raisers_table.py, which triggers a
sample of these in a real BEAM and checks the raised module is listed).
"""

from __future__ import annotations

ARG = ("ArgumentError",)
KEY = ("KeyError",)
ARITH = ("ArithmeticError",)
EMPTY = ("Enum.EmptyError",)
FILE = ("File.Error",)

# -- Elixir standard library ---------------------------------------------------------------
STDLIB: dict[str, tuple[str, ...]] = {
    # Map / Keyword / List / Access / Enum
    "Map.fetch!": KEY,
    "Map.replace!": KEY,
    "Map.update!": KEY,
    "Map.pop!": KEY,
    "Map.get_and_update!": KEY,
    "Keyword.fetch!": KEY,
    "Keyword.replace!": KEY,
    "Keyword.update!": KEY,
    "Keyword.pop!": KEY,
    "Keyword.get_and_update!": KEY,
    "Keyword.validate!": ARG,
    "List.keyfind!": KEY,
    "List.to_integer": ARG,
    "List.to_float": ARG,
    "List.to_existing_atom": ARG,
    "List.to_atom": ("SystemLimitError",),
    "List.to_string": ("UnicodeConversionError",),
    "Access.fetch!": KEY,
    "Access.key!": KEY,
    "Access.at!": ("Enum.OutOfBoundsError",),
    "Enum.fetch!": ("Enum.OutOfBoundsError",),
    "Enum.reduce/2": EMPTY,
    "Enum.max": EMPTY,
    "Enum.min": EMPTY,
    "Enum.max_by": EMPTY,
    "Enum.min_by": EMPTY,
    "Enum.min_max": EMPTY,
    "Enum.min_max_by": EMPTY,
    "Enum.random": EMPTY,
    "Tuple.delete_at": ARG,
    "Tuple.insert_at": ARG,
    # String / Integer / Float / conversions
    "String.to_integer": ARG,
    "String.to_float": ARG,
    "String.to_existing_atom": ARG,
    "String.to_atom": ("SystemLimitError",),
    "String.to_charlist": ("UnicodeConversionError",),
    "Integer.mod": ARITH,
    "Integer.floor_div": ARITH,
    "Integer.pow": ARITH,
    "Base.decode16!": ARG,
    "Base.decode32!": ARG,
    "Base.decode64!": ARG,
    "Base.url_decode64!": ARG,
    "Base.hex_decode32!": ARG,
    "URI.new!": ("URI.Error",),
    "URI.merge": ARG,
    "Version.parse!": ("Version.InvalidVersionError",),
    "Version.parse_requirement!": ("Version.InvalidRequirementError",),
    "Version.match?": ("Version.InvalidVersionError", "Version.InvalidRequirementError"),
    "Version.compare": ("Version.InvalidVersionError",),
    "Regex.compile!": ("Regex.CompileError",),
    "Regex.recompile!": ("Regex.CompileError",),
    "IO.chardata_to_string": ("UnicodeConversionError",),
    # Writing to an explicit device that is closed or not registered.
    "IO.write/2": ("ErlangError", "ArgumentError"),
    "IO.puts/2": ("ErlangError", "ArgumentError"),
    "IO.binwrite/2": ("ErlangError", "ArgumentError"),
    # Calendar types
    "Date.new!": ARG,
    "Date.from_iso8601!": ARG,
    "Date.from_erl!": ARG,
    "Date.convert!": ARG,
    "Time.new!": ARG,
    "Time.from_iso8601!": ARG,
    "Time.from_erl!": ARG,
    "Time.convert!": ARG,
    "NaiveDateTime.new!": ARG,
    "NaiveDateTime.from_iso8601!": ARG,
    "NaiveDateTime.from_erl!": ARG,
    "NaiveDateTime.convert!": ARG,
    "DateTime.new!": ARG,
    "DateTime.from_naive!": ARG,
    "DateTime.from_unix!": ARG,
    "DateTime.now!": ARG,
    "DateTime.shift_zone!": ARG,
    "DateTime.convert!": ARG,
    # Files (File.stream! raises lazily, when the stream is enumerated)
    **{
        f"File.{name}!": FILE
        for name in (
            "cd chgrp chmod chown cwd ls lstat mkdir mkdir_p open read read_link rm rm_rf "
            "rmdir stat stream touch write write_stat"
        ).split()
    },
    "File.cp!": ("File.CopyError",),
    "File.cp_r!": ("File.CopyError",),
    "File.copy!": ("File.CopyError",),
    "File.rename!": ("File.RenameError",),
    "File.ln!": ("File.LinkError",),
    "File.ln_s!": ("File.LinkError",),
    # Application / System / Code / Process / Registry
    "Application.fetch_env!": ARG,
    "Application.compile_env!": ARG,
    "Application.app_dir": ARG,
    "System.fetch_env!": ("System.EnvError",),
    "System.cwd!": ("RuntimeError",),
    "System.tmp_dir!": ("RuntimeError",),
    "System.user_home!": ("RuntimeError",),
    "System.cmd": ("ErlangError", "ArgumentError"),
    "Code.string_to_quoted!": ("SyntaxError", "TokenMissingError"),
    "Code.string_to_quoted_with_comments!": ("SyntaxError", "TokenMissingError"),
    "Code.format_string!": ("SyntaxError", "TokenMissingError"),
    "Code.format_file!": ("SyntaxError", "TokenMissingError", "File.Error"),
    "Code.ensure_compiled!": ARG,
    "Code.ensure_loaded!": ARG,
    "Process.register": ARG,
    "Process.unregister": ARG,
    "Process.send": ARG,
    **{
        f"Registry.{name}": ARG  # the registry does not exist (its ETS table is missing)
        for name in (
            "lookup register unregister unregister_match keys values match count count_match "
            "select count_select update_value meta put_meta delete_meta dispatch"
        ).split()
    },
    # Kernel (unqualified calls are looked up as Kernel.<name>)
    "Kernel.elem": ARG,
    "Kernel.put_elem": ARG,
    "Kernel.hd": ARG,
    "Kernel.tl": ARG,
    "Kernel.binary_part": ARG,
    "Kernel.send": ARG,
    "Kernel.div": ARITH,
    "Kernel.rem": ARITH,
    "Kernel.struct!": ("KeyError", "ArgumentError"),
    "Kernel.put_in": ("ArgumentError", "KeyError"),
    "Kernel.update_in": ("ArgumentError", "KeyError"),
    "Kernel.get_and_update_in": ("ArgumentError", "KeyError"),
    "Kernel.pop_in": ("ArgumentError", "KeyError"),
    "Enum.sum": ARITH,
    "Enum.product": ARITH,
    "Calendar.strftime": ARG,
    "Port.open": ("ErlangError", "ArgumentError"),
    "Port.command": ARG,
    "Port.close": ARG,
    "Port.connect": ARG,
    "Protocol.assert_impl!": ARG,
    "Protocol.assert_protocol!": ARG,
    "Macro.struct!": ("CompileError", "ArgumentError"),
    "OptionParser.parse!": ("OptionParser.ParseError",),
    "OptionParser.parse_head!": ("OptionParser.ParseError",),
    # Elixir 1.18+
    "JSON.decode!": ("JSON.DecodeError",),
    "JSON.encode!": ("Protocol.UndefinedError",),
    "JSON.encode_to_iodata!": ("Protocol.UndefinedError",),
}

# -- Erlang/OTP ------------------------------------------------------------------------------
ERLANG: dict[str, tuple[str, ...]] = {
    ":erlang.binary_to_term": ARG,
    ":erlang.binary_to_existing_atom": ARG,
    ":erlang.list_to_existing_atom": ARG,
    ":erlang.binary_to_integer": ARG,
    ":erlang.list_to_integer": ARG,
    ":erlang.binary_to_float": ARG,
    ":erlang.list_to_float": ARG,
    ":erlang.binary_to_atom": ("SystemLimitError", "ArgumentError"),
    ":erlang.list_to_atom": ("SystemLimitError",),
    ":erlang.element": ARG,
    ":erlang.setelement": ARG,
    ":erlang.hd": ARG,
    ":erlang.tl": ARG,
    ":erlang.send": ARG,
    ":erlang.register": ARG,
    ":erlang.unregister": ARG,
    ":erlang.div": ARITH,
    ":erlang.rem": ARITH,
    ":persistent_term.get/1": ARG,
    ":maps.get/2": KEY,
    ":maps.update": KEY,
    ":erlang.open_port": ("ErlangError", "ArgumentError"),
    ":erlang.binary_part": ARG,
    ":erlang.list_to_pid": ARG,
    ":erlang.list_to_ref": ARG,
    ":erlang.list_to_port": ARG,
    ":erlang.binary_to_list": ARG,
    ":erlang.process_info": ARG,
    ":erlang.garbage_collect": ARG,
    ":erlang.group_leader": ARG,
    ":os.set_signal": ARG,
    ":os.putenv": ARG,
    ":lists.nth": ("FunctionClauseError",),
    ":lists.nthtail": ("FunctionClauseError",),
    ":lists.last": ("FunctionClauseError",),
}

# Every function of these modules raises these for bad data (a missing table, a bad term).
MODULE_WIDE: dict[str, tuple[str, ...]] = {
    ":ets": ARG,
    ":zlib": ("ErlangError",),
    ":math": ARITH,
    ":binary": ARG,
    ":queue": ("ErlangError",),
    # Module's functions raise when the module is already compiled (or not yet defined).
    "Module": ARG,
    # Process wraps BIFs that raise ArgumentError for a bad item, flag or name.
    "Process": ARG,
    # Macro.escape raises for values that cannot be escaped (pids, references, funs).
    "Macro": ARG,
}
# ... except these, which never raise for data.
MODULE_WIDE_EXCEPT = frozenset(
    """
    :ets.whereis :ets.info :ets.all
    Module.concat
    Process.sleep Process.get Process.put Process.delete Process.get_keys Process.whereis
    Process.list Process.registered Process.monitor Process.demonitor Process.send_after
    Process.cancel_timer Process.read_timer Process.exit Process.hibernate
    """.split()
)

# :erlang is not covered as a whole (its BIFs raise ArgumentError for many bad inputs);
# these of its functions never raise for data (only for a caller's type error).
ERLANG_SAFE = frozenset(
    [
        ":erlang." + name
        for name in """
        system_time monotonic_time unique_integer time_offset timestamp now convert_time_unit
        phash2 term_to_binary term_to_iovec self node nodes make_ref whereis is_process_alive
        send_after start_timer cancel_timer read_timer monitor demonitor unlink spawn
        spawn_link spawn_monitor spawn_opt memory statistics
        atom_to_binary atom_to_list integer_to_binary integer_to_list float_to_binary
        float_to_list list_to_binary iolist_to_binary iolist_size byte_size bit_size
        tuple_to_list list_to_tuple tuple_size map_size length max min abs round trunc floor ceil
        pid_to_list ref_to_list port_to_list fun_to_list crc32 adler32 md5 yield
        get put erase get_keys module_loaded function_exported processes registered ports
        localtime universaltime date system_info fun_info
        """.split()
    ]
    + [
        ":os." + name
        for name in "system_time timestamp perf_counter getpid getenv cmd type find_executable".split()
    ]
)

# -- Libraries -------------------------------------------------------------------------------
REQ_ERRORS = (
    "Req.TransportError",
    "Req.HTTPError",
    "Req.TooManyRedirectsError",
    "Req.DecompressError",
    "Req.ArchiveError",
    "Req.ChecksumMismatchError",
    "Mint.TransportError",
    "Mint.HTTPError",
    "Finch.Error",
    "Jason.DecodeError",
)
FINCH_ERRORS = ("Mint.TransportError", "Mint.HTTPError", "Finch.Error")
DB_CHECKOUT = ("DBConnection.ConnectionError", "DBConnection.OwnershipError")

LIBRARIES: dict[str, tuple[str, ...]] = {
    "Jason.decode!": ("Jason.DecodeError",),
    "Jason.encode!": ("Jason.EncodeError", "Protocol.UndefinedError"),
    "Jason.encode_to_iodata!": ("Jason.EncodeError", "Protocol.UndefinedError"),
    **{
        f"HTTPoison.{verb}!": ("HTTPoison.Error",)
        for verb in "get post put patch delete head options request".split()
    },
    **{f"Req.{verb}!": REQ_ERRORS for verb in "get post put patch delete head request run".split()},
    "Req.Request.run!": REQ_ERRORS,
    "Finch.request!": FINCH_ERRORS,
    **{
        f"Postgrex.{name}!": ("Postgrex.Error",) + DB_CHECKOUT
        for name in "query prepare execute prepare_execute close".split()
    },
    **{
        f"Postgrex.{name}": DB_CHECKOUT
        for name in "query prepare execute prepare_execute close".split()
    },
    # A failed commit and an enumerated stream raise the database error itself.
    "Postgrex.transaction": ("Postgrex.Error",) + DB_CHECKOUT,
    "Postgrex.stream": ("Postgrex.Error",) + DB_CHECKOUT,
    **{
        f"DBConnection.{name}": DB_CHECKOUT
        for name in "prepare execute prepare_execute close run".split()
    },
    "Ecto.Changeset.apply_action!": ("Ecto.InvalidChangesetError",),
}

# Bang functions whose exception depends on the database adapter behind them: the table
# cannot name it, so a call to one of these is unresolved (reported without a fix).
ADAPTER_SPECIFIC: dict[str, str] = {
    "DBConnection.prepare!": "raises the database adapter's exception",
    "DBConnection.execute!": "raises the database adapter's exception",
    "DBConnection.prepare_execute!": "raises the database adapter's exception",
    "DBConnection.close!": "raises the database adapter's exception",
    "DBConnection.transaction": "raises the database adapter's exception on a failed commit",
    "DBConnection.stream": "raises the database adapter's exception when enumerated",
    "DBConnection.prepare_stream": "raises the database adapter's exception when enumerated",
}

# Ecto repositories: any module named `Repo` or `*.Repo` (after alias expansion). Only these
# names are known: a repo module may define functions of its own.
_REPO_FETCH = ("Ecto.NoResultsError", "Ecto.MultipleResultsError", "Ecto.Query.CastError")
_REPO_WRITE = ("Ecto.ConstraintError", "Ecto.StaleEntryError")
REPO: dict[str, tuple[str, ...]] = {
    "get!": _REPO_FETCH,
    "get_by!": _REPO_FETCH,
    "one!": _REPO_FETCH,
    "reload!": _REPO_FETCH + ("RuntimeError",),
    "aggregate": _REPO_FETCH + ("Ecto.QueryError",),
    "get": ("Ecto.MultipleResultsError", "Ecto.Query.CastError"),
    "get_by": ("Ecto.MultipleResultsError", "Ecto.Query.CastError"),
    "one": ("Ecto.MultipleResultsError", "Ecto.Query.CastError"),
    "reload": ("Ecto.MultipleResultsError",),
    "all": ("Ecto.Query.CastError",),
    "stream": ("Ecto.Query.CastError",),
    "exists?": ("Ecto.Query.CastError",),
    "update_all": ("Ecto.Query.CastError",),
    "delete_all": ("Ecto.Query.CastError",),
    "insert_all": (),
    "preload": (),
    "transaction": (),
    "rollback": (),
    "insert": _REPO_WRITE,
    "update": _REPO_WRITE,
    "delete": _REPO_WRITE,
    "insert_or_update": _REPO_WRITE,
    "insert!": ("Ecto.InvalidChangesetError",) + _REPO_WRITE,
    "update!": ("Ecto.InvalidChangesetError",) + _REPO_WRITE,
    "delete!": ("Ecto.InvalidChangesetError",) + _REPO_WRITE,
    "insert_or_update!": ("Ecto.InvalidChangesetError",) + _REPO_WRITE,
}
REPO_ADAPTER_SPECIFIC = frozenset({"query", "query!"})

# Code evaluation runs arbitrary code: like a caller-supplied function, catching everything
# around it is isolation, not swallowing. Calls here exempt the clause.
FOREIGN_CODE = frozenset(
    {
        "Code.eval_string",
        "Code.eval_quoted",
        "Code.eval_file",
        "Code.eval_quoted_with_env",
        "Code.require_file",
        "Code.compile_string",
        "Code.compile_quoted",
        "Code.compile_file",
        "Code.load_file",
        "Kernel.apply",
        ":erlang.apply",
        # Remote calls run arbitrary code on another node.
        ":erpc.call",
        ":erpc.multicall",
        ":rpc.call",
        ":rpc.multicall",
    }
)

# Modules covered completely: a function of theirs that is not listed above raises only for
# caller bugs (wrong argument types), never for data, so it is a known non-raiser.
COMPLETE_MODULES = frozenset(
    """
    Access Agent Application Atom Base Bitwise Calendar Calendar.ISO Code Date DateTime
    DynamicSupervisor Enum Exception File Float Function GenServer Integer IO IO.ANSI Kernel
    Keyword List Logger Map MapSet NaiveDateTime Node OptionParser PartitionSupervisor Path
    Port Process Range Regex Registry Stream String StringIO Supervisor System Task
    Task.Supervisor Time Tuple URI Version Inspect Protocol Record JSON
    :persistent_term :maps :lists :timer :unicode :rand :gen_server :gen_statem :gen :sys
    :proc_lib :logger :telemetry :code :inet :global :gen_event
    Jason HTTPoison Req Req.Request Finch Mint.HTTP Mint.HTTP1 Mint.HTTP2 Postgrex DBConnection
    Ecto.Changeset Ecto.Multi Ecto.Query
    """.split()
)

# Kernel and Kernel.SpecialForms functions and macros (Elixir 1.14), for unqualified calls.
KERNEL_NAMES = frozenset(
    """
    __CALLER__ __DIR__ __ENV__ __MODULE__ __STACKTRACE__ __aliases__ __block__ abs alias alias!
    and apply binary_part binary_slice binding bit_size byte_size case ceil cond dbg def
    defdelegate defexception defguard defguardp defimpl defmacro defmacrop defmodule
    defoverridable defp defprotocol defstruct destructure div elem exit floor fn for
    function_exported? get_and_update_in get_in hd if import in inspect is_atom is_binary
    is_bitstring is_boolean is_exception is_float is_function is_integer is_list is_map
    is_map_key is_nil is_number is_pid is_port is_reference is_struct is_tuple length
    macro_exported? make_ref map_size match? max min node not or pop_in put_elem put_in quote
    raise receive rem require reraise round self send sigil_C sigil_D sigil_N sigil_R sigil_S
    sigil_T sigil_U sigil_W sigil_c sigil_r sigil_s sigil_w spawn spawn_link spawn_monitor
    struct struct! super tap then throw tl to_char_list to_charlist to_string trunc try
    tuple_size unless unquote unquote_splicing update_in use var! with
    """.split()
)

# Calls that exit the caller when the other side is down, times out or fails (the
# `{:exit, reason}` that `catch :exit, reason ->` is for).
EXITS = frozenset(
    {
        "GenServer.call",
        "GenServer.stop",
        ":gen_server.call",
        ":gen_server.stop",
        ":gen_statem.call",
        ":gen_statem.stop",
        ":gen.call",
        "Task.await",
        "Task.await_many",
        "Task.async_stream",
        "Task.Supervisor.async_stream",
        "Task.Supervisor.async_stream_nolink",
        "Agent.get",
        "Agent.get_and_update",
        "Agent.update",
        "Agent.stop",
        "Supervisor.start_child",
        "Supervisor.terminate_child",
        "Supervisor.restart_child",
        "Supervisor.delete_child",
        "Supervisor.which_children",
        "Supervisor.count_children",
        "Supervisor.get_childspec",
        "Supervisor.stop",
        "DynamicSupervisor.start_child",
        "DynamicSupervisor.terminate_child",
        "DynamicSupervisor.which_children",
        "DynamicSupervisor.count_children",
        "DynamicSupervisor.stop",
        ":sys.get_state",
        ":sys.get_status",
        ":sys.replace_state",
        ":sys.suspend",
        ":sys.resume",
        "Kernel.exit",
        ":erlang.exit/1",
        ":gen_event.call",
        ":gen_event.sync_notify",
        ":gen_event.which_handlers",
        ":gen_event.add_handler",
        ":gen_event.delete_handler",
        ":gen_event.stop",
        ":global.send",
        "PartitionSupervisor.which_children",
        "PartitionSupervisor.count_children",
    }
)

BUILTIN: dict[str, tuple[str, ...]] = {**STDLIB, **ERLANG, **LIBRARIES}


def _split(name: str) -> tuple[str, str]:
    module, _, fun = name.rpartition(".")
    return module, fun


def is_repo_module(module: str) -> bool:
    return module == "Repo" or module.endswith(".Repo")
