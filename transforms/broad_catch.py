"""broad-catch: `catch kind, reason ->` catch-alls that swallow exits, throws and errors."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import call_name, enclosing_def, enclosing_module, text_of, walk
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
    clause_body,
    clause_patterns,
    escalates,
    exemption,
    in_quote,
    is_catch_all_var,
    label_list,
    module_info,
    module_memo,
    options_raisers,
    protected_of,
    stab_clauses,
)

KINDS = (":exit", ":throw", ":error")


class BroadCatch(RaiserFacts, Transform):
    """Narrow `catch kind, reason ->` catch-alls to `catch :exit, reason ->` around calls that exit.

    ## What it does
    Finds catch clauses that match every kind and every reason, `catch kind, reason ->`,
    `catch _, _ ->`, `catch _kind, _reason ->` (no guard), in a `try` or in the implicit try
    of a `def`/`defp` body, whose body does not re-raise, exit or throw. Such a clause
    swallows exits, throws and exceptions alike.

    When the protected code's only source of failures is calls known to exit the caller
    (`GenServer.call`, `GenServer.stop`, `Task.await`, `Agent.get`/`update`/
    `get_and_update`, `:gen_statem.call`, `:gen_server.call`, `Supervisor` and
    `DynamicSupervisor` calls, `:sys.get_state`, `exit/1`; also reached through functions
    of the same module or of other scanned files of the project (a client API such as
    `MyApp.Cache.get/1` calling `GenServer.call`), aliases and pipes), the fix narrows the
    clause to
    `catch :exit, reason ->`, keeping the reason pattern as written. When the clause body
    uses the kind variable, it is kept bound: `catch :exit = kind, reason ->`.

    Reported without a fix when the protected code also calls something the rule cannot
    resolve (the message names the calls), raises known exceptions, throws, or contains no
    known exit at all; and when the catch-all is not the last clause.

    Not reported: the same exemptions as `narrow-rescue` (code that runs caller-supplied
    functions or modules, telemetry handlers, `terminate/2`, test files), and narrow
    clauses (`catch :exit, _ ->`, `catch value ->`, which only catches throws).

    ## Options
    - `exits` (list, default empty): extra calls that exit, `"MyApp.Cache.get"` (full module
      name; `"Mod.fun/2"` for one arity).
    - `raisers` (mapping, default empty): as for `narrow-rescue`; a call listed with an
      empty list is known not to raise, which lets a protected body that also calls it be
      narrowed.

    ## Why
    `catch kind, reason` also catches `:error` (every exception, caller bugs included) and
    `:throw`. Around a `GenServer.call` the only failure the code means to survive is the
    exit raised when the server is down or slow; catching the rest hides bugs that OTP
    would otherwise log and restart from.

    ## Example
    Before:

        def lookup(key) do
          GenServer.call(__MODULE__, {:get, key})
        catch
          _kind, _reason -> nil
        end

    After:

        def lookup(key) do
          GenServer.call(__MODULE__, {:get, key})
        catch
          :exit, _reason -> nil
        end

    ## Fix safety
    Unsafe: errors and throws raised by the protected code now propagate instead of being
    swallowed. The rule only fixes when it found nothing that raises or throws in the
    protected code, so what changes is what it could not see: a bug (a `FunctionClauseError`,
    a bad argument) in code it resolved as harmless. Review the change; it does not prove
    the exit is the only failure the code meant to survive.
    """

    id = "broad-catch"
    summary = "Narrow `catch kind, reason ->` catch-alls to `catch :exit, reason ->` around exiting calls"
    fixable = True
    skip_tests = True
    # The check reads `catch_block`s; collect reads `defmodule`s (facts are per module).
    needles = (b"catch",)
    collect_needles = (b"defmodule",)
    default_options: Mapping[str, Any] = {"exits": (), "raisers": {}}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._raisers = options_raisers(self.options)
        exits = self.options.get("exits") or ()
        if isinstance(exits, str) or not all(isinstance(e, str) for e in exits):
            raise ValueError("option `exits` must be a list of \"Module.fun\" names")
        self._exits = tuple(exits)
        self._key = (self.id, option_key(self._raisers, self._exits))

    def check(self, ctx: Context) -> Iterator[Finding]:
        cands = self._candidates(ctx)
        if not cands:
            return
        work = [(c[4], c[5].body) for c in cands]
        found = summaries(ctx.source, self._key, work, self._raisers, self._exits, ctx.project)
        for (clauses, index, pats, body, _info, prot), summary in zip(cands, found):
            if summary.foreign:
                continue
            handled = _handled_kinds(clauses[:index], prot.block)
            yield self._finding(ctx, clauses, index, pats, body, summary, handled)

    def _recorded(self, ctx: Context):
        work = [(c[4], c[5].body) for c in self._candidates(ctx)]
        return recorded(ctx.source, self._key, work, self._raisers, self._exits)

    def _candidates(self, ctx: Context) -> list[tuple]:
        """(clauses, catch-all index, its patterns, its body, module info, protected code)
        of every catch-all the rule analyses, in document order (memoised on the source)."""
        memo = memo_of(ctx.source)
        if self.id in memo:
            return memo[self.id]
        out = []
        infos: dict[tuple, ModuleInfo] = {}
        for block in clause_blocks(ctx.source, "catch_block", b"catch"):
            if in_quote(block):
                continue
            prot = protected_of(block)
            if prot is None or not prot.body:
                continue
            clauses = stab_clauses(block)
            index, pats = _catch_all(clauses)
            if pats is None:
                continue
            clause = clauses[index]
            body = clause_body(clause)
            if escalates(body):
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
            out.append((clauses, index, pats, body, info, prot))
        memo[self.id] = out
        return out

    def _finding(self, ctx, clauses, index, pats, body, summary, handled) -> Finding:
        kind, reason = pats
        span = (kind.start_byte, reason.end_byte)
        head = (
            f"`catch {text_of(kind)}, {text_of(reason)} ->` catches every exit, throw and error, "
            "caller bugs included"
        )
        if summary.unknown:
            labels = [f"{k} ({v})" if v else k for k, v in summary.unknown.items()]
            return ctx.finding(
                span,
                f"{head}; not narrowed: these calls are not known: {label_list(labels)} "
                "(declare them in the `exits` or `raisers` option)",
            )
        if summary.raises and ":error" not in handled:
            return ctx.finding(
                span,
                f"{head}; not narrowed: the protected code also raises {label_list(summary.raises)}",
            )
        if summary.throws and ":throw" not in handled:
            return ctx.finding(span, f"{head}; not narrowed: the protected code also throws")
        if not summary.exits:
            return ctx.finding(
                span, f"{head}; nothing in the protected code is known to exit, so it can only hide bugs"
            )
        if index != len(clauses) - 1:
            return ctx.finding(span, f"{head}; not narrowed: the clauses after it would become reachable")
        name = text_of(kind)
        used = name != "_" and body is not None and any(
            n.type == "identifier" and text_of(n) == name for n in walk(body)
        )
        replacement = f":exit = {name}" if used else ":exit"
        fix = make_fix(
            f"Narrow to `catch {replacement}, {text_of(reason)}`",
            [Edit(kind.start_byte, kind.end_byte, replacement)],
            safe=False,
        )
        handled_note = []
        if summary.raises:
            handled_note.append("its exceptions are rescued above")
        if summary.throws:
            handled_note.append("its throws are caught above")
        note = f" ({'; '.join(handled_note)})" if handled_note else ""
        return ctx.finding(
            span,
            f"{head}; the protected code can only exit (through {label_list(summary.exits)}){note}",
            fix,
        )


def _catch_all(clauses: list[Node]) -> tuple[int, list[Node] | None]:
    for i, clause in enumerate(clauses):
        pats = clause_patterns(clause)
        if pats and len(pats) == 2 and all(is_catch_all_var(p) for p in pats):
            return i, pats
    return -1, None


def _handled_kinds(earlier: list[Node], block: Node) -> set[str]:
    """Kinds fully handled before the catch-all: `:throw, x ->` clauses, or a rescue
    catch-all (which takes every `:error`)."""
    out: set[str] = set()
    for clause in earlier:
        pats = clause_patterns(clause)
        if pats and len(pats) == 2 and pats[0].type == "atom" and is_catch_all_var(pats[1]):
            if text_of(pats[0]) in KINDS:
                out.add(text_of(pats[0]))
        elif pats and len(pats) == 1 and is_catch_all_var(pats[0]):
            out.add(":throw")  # `catch value ->` catches every throw
    for child in block.named_children:
        if child.type == "rescue_block":
            for clause in stab_clauses(child):
                pats = clause_patterns(clause)
                if pats and len(pats) == 1 and is_catch_all_var(pats[0]):
                    out.add(":error")
    return out
