"""god-module: a module whose own body is longer than a limit."""

from __future__ import annotations

from itertools import accumulate
from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import arguments_node, call_name, enclosing_module, module_name, operator, text_of
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._locate import calls_named, nodes_at
from ._otp import in_quote


class GodModule(Transform):
    """Report a `defmodule` with more than `max_lines` lines of code of its own (default 1000).

    ## What it does
    For every `defmodule`, counts the module's own lines of code: the lines from the
    `defmodule` line to its `end` line, minus blank lines, comment-only lines,
    documentation attributes (`@moduledoc`, `@doc`, `@typedoc`, `@shortdoc`, heredocs
    included) and the lines of modules defined inside it (`defmodule`, `defimpl`,
    `defprotocol`: they are separate modules and are measured on their own). A module
    whose count exceeds the rule option `max_lines` (default 1000) is reported at its
    `defmodule` line with its size.

    A long file that holds several modules is not reported when each module is under
    the limit, and neither is a module that is long because it is well documented.
    Modules generated inside `quote` and test files are not checked.

    ## Why
    A module that long usually holds several responsibilities: changes to unrelated
    features collide in it, its callbacks and helpers are hard to review, and in a
    GenServer every feature shares one mailbox. Split it by responsibility: move each
    group of related functions into its own module (pure logic out of the server,
    one context per concern) and keep a thin public API that delegates.

    ## Example
    With `max_lines = 3` (under `[rules.god-module]` in `.otpfix.toml`):

        defmodule MyApp.Everything do   # 5 lines of code: reported
          @moduledoc "Not counted."

          def a, do: 1
          def b, do: 2
          def c, do: 3
        end

    ## Fix safety
    No automatic fix: how to split a module is a design decision.
    """

    id = "god-module"
    summary = "Module with more than max_lines (default 1000) lines of code of its own: split it"
    fixable = False
    skip_tests = True
    default_options: Mapping[str, Any] = {"max_lines": 1000}
    needles = (b"defmodule",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        limit = self.options["max_lines"]
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"rule {self.id}: option 'max_lines' must be a positive integer, got {limit!r}")

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter before parsing: a module's own lines of code are lines of its
        file that are neither blank nor comment-only (`_own_lines` counts no others), so
        a file with no more such lines than the limit holds no module over it."""
        limit = self.options["max_lines"]
        return (
            b"defmodule" in data
            and data.count(b"\n") + 1 > limit
            and _code_lines(data) > limit
        )

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = self.options["max_lines"]
        data = ctx.data
        if b"defmodule" not in data or data.count(b"\n") + 1 <= limit:
            return
        code = _code_prefix(data)
        if code[-1] <= limit:
            return
        modules = _definitions(ctx.root, data)
        docs: list[Node] | None = None
        for node in modules:
            if call_name(node) != "defmodule" or in_quote(node):
                continue
            # Without the documentation lines taken off, the count can only be larger:
            # look for the documentation attributes only when that bound is over the limit.
            if _own_lines(code, node, modules, []) <= limit:
                continue
            if docs is None:
                docs = _doc_attributes(ctx.root, data)
            own = _own_lines(code, node, modules, docs)
            if own <= limit:
                continue
            name = _full_name(node)
            args = arguments_node(node)
            end = args.end_byte if args is not None else node.start_byte + len("defmodule")
            yield ctx.finding(
                (node.start_byte, end),
                f"module {name} has {own} lines of code of its own (limit {limit}; documentation, "
                "blank lines, comments and nested modules not counted); split it by responsibility: move each group of related functions "
                "into its own module and delegate to it",
            )


def _full_name(module: Node) -> str:
    """`Outer.Inner` for a nested `defmodule Inner` (as Elixir names it)."""
    parts = []
    n: Node | None = module
    while n is not None:
        name = module_name(n)
        if name is None:
            return module_name(module) or "this module"
        parts.append(name)
        n = enclosing_module(n)
    return ".".join(reversed(parts))


MODULE_KEYWORDS = ("defmodule", "defimpl", "defprotocol")
DOC_ATTRIBUTES = frozenset({"moduledoc", "doc", "typedoc", "shortdoc"})


def _code_prefix(data: bytes) -> list[int]:
    """Prefix sums over the file's lines (split at "\\n", as tree-sitter counts rows) of
    "this line is neither blank nor comment-only": element r is the number of such lines
    before row r; the last element is their total."""
    flags = [1 if line and line[0] != 35 else 0 for line in map(bytes.strip, data.split(b"\n"))]  # 35: "#"
    return [0, *accumulate(flags)]


# For `_code_lines`: the white space `bytes.strip` removes, less the line feed, deleted;
# every other byte but "\n" and "#" made "a".
_BLANKS = b" \t\r\x0b\x0c"
_CODE_BYTES = bytes(c if c in b"\n#" else 97 for c in range(256))  # 97: "a"


def _code_lines(data: bytes) -> int:
    """`_code_prefix(data)[-1]`, counted in C without a list of lines: with the blanks of
    each line deleted (which changes neither whether the line is blank nor its first other
    byte) and every byte but "\\n" and "#" made "a", a line is neither blank nor
    comment-only exactly when it starts with "a", i.e. when a "\\n" followed by "a" starts
    it (the first line given one in front)."""
    return (b"\n" + data.translate(_CODE_BYTES, _BLANKS)).count(b"\na")


def _definitions(root: Node, data: bytes) -> list[Node]:
    """The `defmodule` / `defimpl` / `defprotocol` calls (a call whose target is the
    identifier), in pre-order: the nodes of the query
    `(call target: (identifier) @kw (#any-of? @kw ...)) @module`, found from the
    keywords' byte positions instead of a pass over the whole tree."""
    return calls_named(root, data, MODULE_KEYWORDS)


def _doc_attributes(root: Node, data: bytes) -> list[Node]:
    """Every `unary_operator` whose operand is a call whose target is an identifier named
    in DOC_ATTRIBUTES: the nodes of the query
    `(unary_operator operand: (call target: (identifier) @name (#any-of? @name ...)))`.
    Each of those identifiers ends with "doc", so it spans an occurrence of "doc"."""
    out = []
    for ident in nodes_at(root, data, b"doc"):
        if ident.type != "identifier" or text_of(ident) not in DOC_ATTRIBUTES:
            continue
        call = ident.parent
        if call is None or call.type != "call" or call.child_by_field_name("target") != ident:
            continue
        attr = call.parent
        if attr is not None and attr.type == "unary_operator" and attr.child_by_field_name("operand") == call:
            out.append(attr)
    return out


def _own_lines(code: list[int], module: Node, modules: list[Node], docs: list[Node]) -> int:
    """Lines of code of the module itself: its span, minus nested modules, documentation
    attributes, blank lines and comment-only lines (`code`: see `_code_prefix`)."""
    start, end = module.start_byte, module.end_byte
    cut = [
        (n.start_point[0], n.end_point[0])
        for n in modules
        if start < n.start_byte and n.end_byte <= end
    ]
    cut += [
        (n.start_point[0], n.end_point[0])
        for n in docs
        if start < n.start_byte and n.end_byte <= end and _is_doc_attribute(n)
    ]
    first, last = module.start_point[0], module.end_point[0]
    count = code[last + 1] - code[first]
    # Take off the code lines of the union of the removed rows (each inside the module's).
    cut.sort()
    covered = -1  # the last row already taken off
    for lo, hi in cut:
        lo = max(lo, covered + 1)
        if lo <= hi:
            count -= code[hi + 1] - code[lo]
            covered = hi
    return count


def _is_doc_attribute(node: Node) -> bool:
    if node.type != "unary_operator" or operator(node) != "@" or not node.named_children:
        return False
    inner = node.named_children[0]
    if inner.type == "call":
        target = inner.child_by_field_name("target")
        return target is not None and target.type == "identifier" and text_of(target) in DOC_ATTRIBUTES
    return False
