"""god-module: a module whose own body is longer than a limit."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import arguments_node, call_name, enclosing_module, module_name, operator, text_of
from otpfix.transform import Context, Transform
from otpfix.types import Finding

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
        """Exact pre-filter before parsing: no module has more lines than its file."""
        return b"defmodule" in data and data.count(b"\n") + 1 > self.options["max_lines"]

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = self.options["max_lines"]
        if not self.could_match(ctx.data):
            return
        modules = ctx.captures(MODULES_QUERY, "module")
        docs = ctx.captures(DOCS_QUERY, "doc")
        for node in modules:
            if call_name(node) != "defmodule" or in_quote(node):
                continue
            own = _own_lines(ctx.source, node, modules, docs)
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


MODULES_QUERY = """
(call target: (identifier) @kw (#any-of? @kw "defmodule" "defimpl" "defprotocol")) @module
"""
DOCS_QUERY = """
(unary_operator operand: (call target: (identifier) @name
  (#any-of? @name "moduledoc" "doc" "typedoc" "shortdoc"))) @doc
"""

DOC_ATTRIBUTES = frozenset({"moduledoc", "doc", "typedoc", "shortdoc"})


def _rows(node: Node) -> range:
    return range(node.start_point[0], node.end_point[0] + 1)


def _own_lines(source, module: Node, modules: list[Node], docs: list[Node]) -> int:
    """Lines of code of the module itself: its span, minus nested modules, documentation
    attributes, blank lines and comment-only lines."""
    rows = set(_rows(module))
    start, end = module.start_byte, module.end_byte
    for n in modules:
        if start < n.start_byte and n.end_byte <= end:
            rows.difference_update(_rows(n))
    for n in docs:
        if start < n.start_byte and n.end_byte <= end and _is_doc_attribute(n):
            rows.difference_update(_rows(n))
    data, starts = source.data, source.line_starts
    count = 0
    for row in rows:
        stop = starts[row + 1] if row + 1 < len(starts) else len(data)
        line = data[starts[row] : stop].strip()
        if line and not line.startswith(b"#"):
            count += 1
    return count


def _is_doc_attribute(node: Node) -> bool:
    if node.type != "unary_operator" or operator(node) != "@" or not node.named_children:
        return False
    inner = node.named_children[0]
    if inner.type == "call":
        target = inner.child_by_field_name("target")
        return target is not None and target.type == "identifier" and text_of(target) in DOC_ATTRIBUTES
    return False
