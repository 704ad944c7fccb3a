"""narrow-rescue: `rescue e ->` catch-alls that swallow every exception, bugs included."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import call_name, enclosing_def, enclosing_module, text_of
from otpfix.transform import Context, Transform, make_fix
from otpfix.types import Edit, Finding

from ._protected import (
    RaiserFacts,
    clause_blocks,
    memo_of,
    option_key,
    recorded,
    summaries,
    TRY_KEYWORDS,
    ModuleInfo,
    alias_conflicts,
    clause_body,
    clause_patterns,
    escalates,
    exception_list,
    exemption,
    handled_exceptions,
    in_quote,
    is_catch_all_var,
    label_list,
    module_info,
    module_memo,
    options_raisers,
    protected_of,
    stab_clauses,
)


class NarrowRescue(RaiserFacts, Transform):
    """Narrow `rescue e ->` catch-alls to the exceptions the protected code is known to raise.

    ## What it does
    Finds rescue clauses that match every exception (`rescue e ->`, `rescue _ ->`, no `in`),
    in a `try` or in the implicit try of a `def`/`defp` body, whose body returns a value
    instead of re-raising. The calls in the protected code (the `try` body, or the function
    body before `rescue`) are looked up in a table of known raisers shipped with the rule:
    the standard library's bang functions and raising conversions (`Map.fetch!` raises
    `KeyError`, `String.to_integer` `ArgumentError`, `File.read!` `File.Error`,
    `Date.from_iso8601!` `ArgumentError`, `:erlang.binary_to_term` `ArgumentError`, ...),
    `raise` expressions, pattern matches (`MatchError`), `case`/`cond`/`with` without a
    catch-all clause, `/` (`ArithmeticError`), `map.field` (`KeyError`), and Jason, Ecto
    repositories (`Repo.get!` and friends on any module named `Repo` or `*.Repo`),
    HTTPoison, Req, Finch, Mint, DBConnection and Postgrex. Calls to functions of the same
    module are followed, and so are calls to modules defined in other scanned files of the
    project (what their functions raise is collected first; a function of another module
    that runs code chosen at runtime makes the call unresolved rather than exempt).
    Aliases declared in the module (`alias Foo.Bar`,
    `alias Foo.Bar, as: B`, `alias Foo.{Bar, Baz}`) resolve, and pipes count
    (`x |> Map.fetch!(:k)`).

    The fix narrows the clause to those exceptions, `rescue e in [KeyError, ArgumentError] ->`
    (a single one is written `rescue e in KeyError ->`), keeping the variable (or `_`), the
    body and the other clauses byte for byte. Exceptions already rescued by an earlier
    clause are left out.

    Reported without a fix:
    - when a call in the protected code is not in the table (a function of another module
      of yours, a library the table does not know, a function imported with `import`):
      the message names those calls. Declare what they raise with the `raisers` option and
      the fix becomes available. An empty list declares a function that does not raise.
    - when nothing in the protected code is known to raise: the clause can only hide bugs;
    - when the catch-all is not the last clause (narrowing it would make the clauses after
      it reachable);
    - when the clauses before it already rescue everything the code is known to raise;
    - when an alias of the module would redirect a name to insert (`alias MyApp.KeyError`).

    Not reported, because catching everything is the point or nothing is swallowed:
    - a clause whose body re-raises, raises, exits or throws (`reraise`, `raise`,
      `:erlang.raise`, `exit`, `throw`, `Mix.raise`), also after logging or emitting
      telemetry, or through a function of the same module that does;
    - protected code that runs a caller-supplied function or module (`fun.()`,
      `callback.(x)`, `apply(m, f, args)`, `mod.fun(x)`, `Enum.map(xs, fun)` with a
      variable `fun`), evaluates code (`Code.eval_*`), calls another node (`:erpc.call`)
      or inspects a value with options that may say `safe: false`: isolating foreign code
      is what circuit breakers, health checks and event dispatchers are for;
    - code inside `quote`;
    - code in a telemetry handler: `handle_event/4`, a function of the module attached with
      `:telemetry.attach/4` or `attach_many/4`, or an anonymous function passed to them
      (telemetry detaches a handler that raises, so rescuing there is recommended);
    - `terminate/2` (best-effort cleanup);
    - test files (`test/`, `*_test.exs`), unless test files are included.

    ## Options
    - `raisers` (mapping, default empty): extra table entries, `"Module.fun"` (or
      `"Module.fun/2"`, with the full module name, aliases expanded) to a list of exception
      module names, e.g. `{"MyApp.Parser.parse!" = ["MyApp.ParseError"]}`. Entries win over
      the shipped table. An empty list marks a function that does not raise.

    ## Why
    A rescue-everything clause turns a caller's bug (a `nil` where a map was expected,
    a typo'd key, a `FunctionClauseError`) into an ordinary `{:error, _}` or default value:
    the process carries on with bad data, and the crash that OTP would have logged and
    restarted from never happens. Naming the exceptions the code is expected to raise keeps
    the handled failures handled and lets the rest crash where they happened.

    ## Example
    Before:

        def port(config) do
          config |> Map.fetch!(:port) |> String.to_integer()
        rescue
          e -> {:error, e}
        end

    After:

        def port(config) do
          config |> Map.fetch!(:port) |> String.to_integer()
        rescue
          e in [KeyError, ArgumentError] -> {:error, e}
        end

    `port(%{port: "x"})` still returns `{:error, %ArgumentError{}}`; `port(nil)` now raises
    `BadMapError` instead of returning it.

    ## Fix safety
    Unsafe: behaviour changes on purpose. Exceptions the table does not list for the
    protected calls now propagate; that is the point, and the result must be reviewed. The
    table lists the exceptions a call raises for bad data (a missing key, an unparsable
    string, a missing file), not those a caller bug produces; it does not list database or
    connection errors of Ecto repositories (`DBConnection.ConnectionError`, `Postgrex.Error`),
    which propagate after the fix: add them through `raisers` if the code means to survive
    them. Likewise a `nil` or a value of the wrong shape flowing from a lookup into a
    function that does not accept it (`String.trim(nil)` raises FunctionClauseError,
    `Map.get(nil, :k)` BadMapError) is treated as a bug and propagates after the fix; if the
    code relied on the catch-all for that, add the exception to the list by hand. The fix
    does not prove the listed exceptions are all the code expects: a function
    of another module that raises for bad data blocks the fix (it is unresolved) unless the
    `raisers` option declares it, but the table's view of library functions is only as
    good as the library versions it was written against (Elixir 1.14, Jason 1.4, Ecto 3,
    Req 0.3 to 0.5).
    """

    id = "narrow-rescue"
    summary = "Narrow `rescue e ->` catch-alls to the exceptions the protected code is known to raise"
    fixable = True
    skip_tests = True
    # The check reads `rescue_block`s; collect reads `defmodule`s (facts are per module).
    needles = (b"rescue",)
    collect_needles = (b"defmodule",)
    default_options: Mapping[str, Any] = {"raisers": {}}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._raisers = options_raisers(self.options)
        self._key = (self.id, option_key(self._raisers))

    def check(self, ctx: Context) -> Iterator[Finding]:
        cands = self._candidates(ctx)
        if not cands:
            return
        work = [(c[3], c[4].body) for c in cands]
        found = summaries(ctx.source, self._key, work, self._raisers, (), ctx.project)
        for (clauses, index, var, info, _prot), summary in zip(cands, found):
            if summary.foreign:
                continue
            yield self._finding(ctx, clauses, index, var, summary, info)

    def _recorded(self, ctx: Context):
        work = [(c[3], c[4].body) for c in self._candidates(ctx)]
        return recorded(ctx.source, self._key, work, self._raisers)

    def _candidates(self, ctx: Context) -> list[tuple]:
        """(clauses, catch-all index, its variable, module info, protected code) of every
        catch-all rescue the rule analyses, in document order (memoised on the source)."""
        memo = memo_of(ctx.source)
        if self.id in memo:
            return memo[self.id]
        out = []
        infos: dict[tuple, ModuleInfo] = {}
        for block in clause_blocks(ctx.source, "rescue_block", b"rescue"):
            if in_quote(block):
                continue
            prot = protected_of(block)
            if prot is None or not prot.body:
                continue
            clauses = stab_clauses(block)
            index, var = _catch_all(clauses)
            if var is None:
                continue
            clause = clauses[index]
            if escalates(clause_body(clause)):
                continue
            module = enclosing_module(prot.owner)
            scope = prot.owner if call_name(prot.owner) in TRY_KEYWORDS else enclosing_def(prot.owner)
            key = (module.id if module is not None else None, scope.id if scope is not None else None)
            if key not in infos:
                infos[key] = module_info(module, scope, module_memo(ctx.source))
            info = infos[key]
            if escalates(clause_body(clauses[index]), info):
                continue
            if exemption(prot.owner, info) is not None:
                continue
            out.append((clauses, index, var, info, prot))
        memo[self.id] = out
        return out

    def _finding(self, ctx: Context, clauses, index: int, var: Node, summary, info) -> Finding:
        name = text_of(var)
        head = f"`rescue {name} ->` rescues every exception, caller bugs included"
        if summary.unknown:
            labels = [f"{k} ({v})" if v else k for k, v in summary.unknown.items()]
            return ctx.finding(
                var,
                f"{head}; not narrowed: what these calls raise is unknown: {label_list(labels)} "
                "(declare them in the `raisers` option)",
            )
        if not summary.raises:
            return ctx.finding(
                var,
                f"{head}; nothing in the protected code is known to raise, so it can only hide bugs",
            )
        if index != len(clauses) - 1:
            return ctx.finding(
                var, f"{head}; not narrowed: the clauses after it would become reachable"
            )
        handled = handled_exceptions(clauses[:index], info)
        wanted = [e for e in summary.raises if e not in handled]
        if not wanted:
            return ctx.finding(
                var,
                f"{head}; the clauses before it already rescue everything the protected code is "
                "known to raise, so this one only catches bugs",
            )
        conflicts = alias_conflicts(wanted, info)
        if conflicts:
            return ctx.finding(
                var,
                f"{head}; not narrowed: an alias of this module shadows {', '.join(conflicts)}",
            )
        listed = exception_list(wanted)
        fix = make_fix(
            f"Narrow to `rescue {name} in {listed}`",
            [Edit.insert(var.end_byte, f" in {listed}")],
            safe=False,
        )
        known = ", ".join(summary.raises)
        above = [e for e in summary.raises if e not in wanted]
        note = f" ({', '.join(above)} already rescued above)" if above else ""
        return ctx.finding(var, f"{head}; the protected code is known to raise only {known}{note}", fix)


def _catch_all(clauses: list[Node]) -> tuple[int, Node | None]:
    for i, clause in enumerate(clauses):
        pats = clause_patterns(clause)
        if pats and len(pats) == 1 and is_catch_all_var(pats[0]):
            return i, pats[0]
    return -1, None
