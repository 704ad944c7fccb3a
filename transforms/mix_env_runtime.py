"""mix-env-runtime: `Mix.env()` called at runtime from compiled project code."""

from __future__ import annotations

from typing import Iterator

from tree_sitter import Node

from otpfix.syntax import call_args, call_name, enclosing, enclosing_module, module_name, walk
from otpfix.transform import Context, Transform
from otpfix.types import Finding

from ._locate import CallNames
from ._otp import in_quote, mfa_label

_MIX_ENV = CallNames({"Mix.env"})
RUNTIME_DEFS = frozenset({"def", "defp"})
#: Calls that show the author checks whether Mix is there before using it.
GUARDS = frozenset({"Code.ensure_loaded?", "Code.ensure_loaded", "Code.ensure_compiled", "function_exported?"})


class MixEnvRuntime(Transform):
    """Report `Mix.env()` evaluated at runtime inside a function of compiled project code.

    ## What it does
    Reports `Mix.env()` (or `Mix.env`) inside the head or body of a `def`/`defp`, in
    compiled project code: files ending in `.ex` outside test directories. Mix compiles
    `.ex` files from `elixirc_paths` (`lib/` by default); `.exs` files (`mix.exs`,
    `config/*.exs`, tests, scripts run with `mix run`) are evaluated with Mix loaded and
    are never reported. Deciding by the extension rather than by a `lib/` path segment
    keeps the rule working when it is run from inside `lib/` or on an umbrella app.

    Not reported:
    - `Mix.env()` at compile time: in a module attribute (`@env Mix.env()`), in the
      module body (`if Mix.env() == :test do ... end` around definitions), or in a
      `defmacro` body (it runs while the caller compiles), or in an `unquote` fragment
      inside a function (`def dev?, do: unquote(Mix.env() == :dev)`);
    - code inside `quote` (where it ends up is not known here);
    - Mix tasks, projects and their helpers: modules that `use Mix.Task` /
      `use Mix.Project`, modules named `Mix.*`, and modules that call other Mix
      functions (`Mix.shell()`, `Mix.Project.config()`, `Mix.raise/1`): such code only
      runs under Mix;
    - functions that check for Mix first (`Code.ensure_loaded?(Mix)`,
      `function_exported?(Mix, :env, 0)`).

    ## Why
    Mix is a build tool: it is not part of a release. In a release `Mix.env()` raises
    `UndefinedFunctionError` (module Mix is not available); under `mix` it returns the
    build environment, which is not necessarily the one the code runs in. Read the value
    at compile time into a module attribute, or put it in application config from
    `config/*.exs` (`config :my_app, env: config_env()`) and read it with
    `Application.get_env/2` / `Application.compile_env/2`.

    ## Example
    Before:

        def debug?, do: Mix.env() == :dev

    After (by hand):

        @env Mix.env()
        def debug?, do: @env == :dev

    ## Fix safety
    No automatic fix: a compile-time value and a config value behave differently (the
    attribute is frozen in the build), and which one is meant is the author's call.
    """

    id = "mix-env-runtime"
    summary = "Mix.env() at runtime in compiled code: Mix is not in releases"
    fixable = False
    skip_tests = True
    needles = (b"Mix",)

    def could_match(self, data: bytes) -> bool:  # type: ignore[override]
        """Exact pre-filter: `Mix` and `env` (not the bytes `Mix.env`: Elixir also reads
        `Mix . env()` and a dot at the end of a line as that call)."""
        return b"Mix" in data and b"env" in data

    def check(self, ctx: Context) -> Iterator[Finding]:
        if not ctx.path.replace("\\", "/").endswith(".ex"):
            return
        covered = _supervision_conditionals(ctx)
        # The `Mix.env` calls of a walk of the tree, in the same order, without the walk.
        for node in _MIX_ENV.find(ctx.root, ctx.data):
            if call_args(node):
                continue
            fun = enclosing(node, lambda n: n.type == "call" and call_name(n) in ("def", "defp", "defmacro", "defmacrop"))
            if fun is None or call_name(fun) not in RUNTIME_DEFS:
                continue  # module body, attribute or macro body: compile time
            if in_quote(node) or _in_unquote(node, fun):
                continue
            if any(start <= node.start_byte and node.end_byte <= end for start, end in covered):
                continue  # mix-env-supervision reports (and fixes) this one
            module = enclosing_module(fun)
            if module is not None and _runs_under_mix(module):
                continue
            if any(call_name(c) in GUARDS and _mentions_mix(c) for c in walk(fun) if c.type == "call"):
                continue
            yield ctx.finding(
                node,
                f"Mix.env() is called at runtime in {mfa_label(fun)}: Mix is not part of a release "
                "(this raises UndefinedFunctionError there); read it at compile time "
                "(@env Mix.env()) or from application config (config_env() in config/*.exs, "
                "then Application.get_env/2)",
            )


def _supervision_conditionals(ctx: Context) -> list[tuple[int, int]]:
    """Byte ranges of the env conditionals that `mix-env-supervision` reports: a Mix.env()
    inside one is that rule's finding, not a second one of this rule."""
    from .mix_env_supervision import MixEnvSupervision

    return [(f.span.start, f.span.end) for f in MixEnvSupervision().check(ctx)]


def _in_unquote(node: Node, fun: Node) -> bool:
    """`def dev?, do: unquote(Mix.env() == :dev)`: an unquote fragment runs at compile time."""
    n = node.parent
    while n is not None and n != fun:
        if n.type == "call" and call_name(n) in ("unquote", "unquote_splicing"):
            return True
        n = n.parent
    return False


def _runs_under_mix(module: Node) -> bool:
    name = module_name(module) or ""
    if name.startswith("Mix."):
        return True
    for node in walk(module):
        if node.type != "call":
            continue
        called = call_name(node) or ""
        if called == "use":
            args = call_args(node)
            if args and args[0].type == "alias" and args[0].text in (b"Mix.Task", b"Mix.Project"):
                return True
        elif called.startswith("Mix.") and called not in ("Mix.env", "Mix.target"):
            return True  # Mix.shell(), Mix.Project.config(), ...: code that runs under Mix
    return False


def _mentions_mix(call: Node) -> bool:
    args = call_args(call)
    return bool(args) and args[0].type == "alias" and args[0].text == b"Mix"
