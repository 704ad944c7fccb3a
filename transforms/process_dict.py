"""process-dict: state kept in the process dictionary (`Process.put/get/delete`)."""

from __future__ import annotations

from typing import Iterator

from otpfix.syntax import call_args, call_name, text_of
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._needles import nodes_at, occurrences, walk_order, word
from ._otp import call_arity, is_piped_into

CALLS = frozenset({"Process.put", "Process.get", "Process.delete"})

# Exact pre-filter (see _needles.word): a call in CALLS is a dot whose left side is exactly
# `Process` and whose right side is exactly `put`, `get` or `delete`. Blanks, a newline or
# a comment may stand between them (`Process .put(...)`, `Process.\n  get(...)` compile),
# so the bytes `Process.put` need not occur.
_NAMES = word("put", "get", "delete")


class ProcessDict(Transform):
    """Report `Process.put/2`, `Process.get/1,2` and `Process.delete/1` outside tests.

    ## What it does
    Reports every call to `Process.put`, `Process.get` (any arity) and `Process.delete`
    in files outside `test/` directories and `*_test.exs` files.

    Not reported:
    - keys that start with `$` (`:"$callers"`, `:"$ancestors"`, `:"$initial_call"`):
      those are maintained by OTP and `Task`, and reading (or propagating) them is the only
      way to get at that information;
    - functions with the same name on other modules (`MyApp.Process.get/1`, `Keyword.get/2`);
    - test code (the rule skips test files; `--include-tests` turns them on).

    ## Why
    The process dictionary is hidden, mutable, per-process state. A value put there is
    invisible in the function's arguments and return value, is lost when the work moves
    to another process (a Task, a GenServer call) and dies silently with the process.
    Pass the value explicitly, keep it in the GenServer state, or use an Agent or ETS
    table when several processes share it.

    ## Example
    Before:

        def handle_request(conn) do
          Process.put(:current_user, conn.assigns.user)
          render(conn)
        end

        defp render(conn), do: "hello " <> Process.get(:current_user).name

    After (by hand):

        def handle_request(conn), do: render(conn, conn.assigns.user)

        defp render(_conn, user), do: "hello " <> user.name

    ## Fix safety
    No automatic fix: where the value should live (an argument, the server state, ETS)
    is a design decision.
    """

    id = "process-dict"
    summary = "Process.put/get/delete: hidden state in the process dictionary"
    fixable = False
    skip_tests = True
    needles = (b"Process",)

    def could_match(self, data: bytes) -> bool:
        return b"Process" in data and _NAMES.found(data)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for node in _process_calls(ctx):
            name = call_name(node)
            if name not in CALLS:
                continue
            args = call_args(node)
            if args and not is_piped_into(node) and _reserved_key(args[0]):
                continue
            label = f"{name}/{call_arity(node)}"
            yield ctx.finding(node, _MESSAGES[name].format(call=label))


def _process_calls(ctx: Context) -> list:
    """The calls of `(call target: (dot)) @call` whose dot's left side has the text
    `Process` (every call in CALLS is one), found from the bytes instead of a query over
    the whole tree; in the order of `Source.captures`."""
    out = []
    for pos in occurrences(ctx.data, b"Process"):
        for left in nodes_at(ctx.root, pos, pos + len(b"Process")):
            dot = left.parent
            if dot is None or dot.type != "dot" or dot.child_by_field_name("left") != left:
                continue
            call = dot.parent
            if call is not None and call.type == "call" and call.child_by_field_name("target") == dot:
                out.append(call)
    return walk_order(out)


def _reserved_key(node) -> bool:
    """An atom key that starts with `$`: OTP's own entries (`:"$callers"`, ...)."""
    if node.type not in ("atom", "quoted_atom"):
        return False
    text = text_of(node)
    return text.startswith((':"$', ":'$", ":$"))


_MESSAGES = {
    "Process.put": (
        "{call} stores hidden state in the process dictionary; pass the value as an "
        "argument or keep it in the GenServer state (an Agent or ETS table if it is shared)"
    ),
    "Process.get": (
        "{call} reads hidden state from the process dictionary; pass the value as an "
        "argument or keep it in the GenServer state (an Agent or ETS table if it is shared)"
    ),
    "Process.delete": (
        "{call} edits hidden state in the process dictionary; pass the value as an "
        "argument or keep it in the GenServer state (an Agent or ETS table if it is shared)"
    ),
}
