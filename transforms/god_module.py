"""god-module: a module whose own body is longer than a limit."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from tree_sitter import Node

from otpfix.syntax import arguments_node, call_name, enclosing_module, module_name, walk
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._otp import MODULE_KEYWORDS, in_quote


class GodModule(Transform):
    """Report a `defmodule` whose own body is longer than `max_lines` lines (default 1000).

    ## What it does
    For every `defmodule`, counts the physical lines from the `defmodule` line to its
    `end` line, blank lines, comments and documentation included, minus the lines of
    modules defined inside it (`defmodule`, `defimpl`, `defprotocol`: they are separate
    modules and are measured on their own). A module whose count exceeds the rule option
    `max_lines` (default 1000) is reported at its `defmodule` line with its size.

    A long file that holds several modules is not reported when each module is under
    the limit. Modules generated inside `quote` and test files are not checked.

    ## Why
    A module that long usually holds several responsibilities: changes to unrelated
    features collide in it, its callbacks and helpers are hard to review, and in a
    GenServer every feature shares one mailbox. Split it by responsibility: move each
    group of related functions into its own module (pure logic out of the server,
    one context per concern) and keep a thin public API that delegates.

    ## Example
    With `max_lines = 3` (under `[rules.god-module]` in `.otpfix.toml`):

        defmodule MyApp.Everything do   # 5 lines: reported
          def a, do: 1
          def b, do: 2
          def c, do: 3
        end

    ## Fix safety
    No automatic fix: how to split a module is a design decision.
    """

    id = "god-module"
    summary = "Module body longer than max_lines (default 1000): split it by responsibility"
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
            own = _own_lines(node)
            if own <= limit:
                continue
            name = _full_name(node)
            args = arguments_node(node)
            end = args.end_byte if args is not None else node.start_byte + len("defmodule")
            yield ctx.finding(
                (node.start_byte, end),
                f"module {name} has {own} lines of its own (limit {limit}, nested modules not "
                "counted); split it by responsibility: move each group of related functions "
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


def _lines(node: Node) -> int:
    return node.end_point[0] - node.start_point[0] + 1


def _own_lines(module: Node) -> int:
    own = _lines(module)
    stack = list(reversed(module.children))
    while stack:
        n = stack.pop()
        if n.type == "call" and call_name(n) in MODULE_KEYWORDS:
            own -= _lines(n)
            continue  # its own nested modules are inside its span already
        stack.extend(reversed(n.children))
    return own
