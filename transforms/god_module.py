"""god-module: a module whose own body is longer than a limit."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import arguments_node, call_name, enclosing_module, module_name, operator, text_of, walk
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._otp import MODULE_KEYWORDS, in_quote


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

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = self.options["max_lines"]
        if ctx.data.count(b"\n") + 1 <= limit:
            return  # no module can be longer than the file
        for node in walk(ctx.root):
            if node.type != "call" or call_name(node) != "defmodule" or in_quote(node):
                continue
            own = _own_lines(ctx.source, node)
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


DOC_ATTRIBUTES = frozenset({"moduledoc", "doc", "typedoc", "shortdoc"})


def _rows(node: Node) -> range:
    return range(node.start_point[0], node.end_point[0] + 1)


def _own_lines(source, module: Node) -> int:
    """Lines of code of the module itself: its span, minus nested modules, documentation
    attributes, blank lines and comment-only lines."""
    rows = set(_rows(module))
    stack = list(reversed(module.children))
    while stack:
        n = stack.pop()
        if n.type == "call" and call_name(n) in MODULE_KEYWORDS:
            rows.difference_update(_rows(n))
            continue  # its own nested modules are inside its span already
        if _is_doc_attribute(n):
            rows.difference_update(_rows(n))
            continue
        stack.extend(reversed(n.children))
    data, starts = source.data, source.line_starts
    count = 0
    for row in rows:
        end = starts[row + 1] if row + 1 < len(starts) else len(data)
        line = data[starts[row] : end].strip()
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
