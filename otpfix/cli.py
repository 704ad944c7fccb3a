"""The command line: flags become one RunOptions handed to the engine. Nothing else."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import List, Optional

import typer

from . import __version__, api, registry, report
from .diff import run_diff
from .types import RunOptions

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Find OTP anti-patterns in Elixir code and rewrite them with minimal textual patches.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def _split(values: Optional[List[str]]) -> tuple[str, ...] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


PathsArg = typer.Argument(None, help="Files or directories (default: .)", show_default=False)
SelectOpt = typer.Option(None, "--select", help="Only these rules (comma-separated, repeatable).")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these rules (comma-separated, repeatable).")
SafeOnlyOpt = typer.Option(False, "--safe-only", help="Apply only fixes marked safe.")
JobsOpt = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes (0: one per core).", show_default=False)
NoCacheOpt = typer.Option(False, "--no-cache", help="Neither read nor write the .otpfix_cache/ result cache.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary on stderr.")


def _options(
    paths,
    select,
    ignore,
    *,
    fix: bool,
    safe_only: bool = False,
    jobs: int = 0,
    no_cache: bool = False,
    quiet: bool = False,
) -> RunOptions:
    return RunOptions(
        select=_split(select),
        ignore=_split(ignore) or (),
        fix=fix,
        safe_only=safe_only,
        jobs=jobs,
        cache_dir=None if no_cache else api.default_cache_dir(paths or ["."]),
        progress=not quiet,
    )


def _run(paths: Optional[List[str]], options: RunOptions) -> api.Run:
    try:
        return api.run(paths or ["."], options)
    except registry.RegistryError as exc:
        _err(f"otpfix: error: {exc}")
        raise typer.Exit(report.EXIT_ERROR)


def _print_notes(run: api.Run) -> None:
    for r in run.results:
        for note in r.notes:
            _err(f"{r.path}: {note}")


def _print_errors(run: api.Run) -> None:
    for r in run.errors:
        _err(f"{r.path}: error: {r.error}")


@app.command()
def scan(
    paths: Optional[List[str]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    format: Format = typer.Option(Format.text, "--format", help="Report format."),
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """List findings. Exit 0: none, 1: findings, 2: errors."""
    run = _run(paths, _options(paths, select, ignore, fix=False, jobs=jobs, no_cache=no_cache, quiet=quiet))
    if format is Format.json:
        sys.stdout.write(report.render_json(run.results))
    elif format is Format.sarif:
        sys.stdout.write(report.render_sarif(run.results, run.rules))
    elif format is Format.github:
        sys.stdout.write(report.render_github(run.results))
    else:
        sys.stdout.write(report.render_text(run.results, color=report.use_color(sys.stdout)))
        if not quiet:
            _err(report.summary(run.results))
    raise typer.Exit(report.scan_exit_code(run.results))


@app.command()
def diff(
    paths: Optional[List[str]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    safe_only: bool = SafeOnlyOpt,
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Print the fixes as a unified diff; write nothing. Exit 0: no change, 1: diff, 2: errors."""
    run = _run(
        paths,
        _options(paths, select, ignore, fix=True, safe_only=safe_only, jobs=jobs, no_cache=no_cache, quiet=quiet),
    )
    sys.stdout.write(run_diff(run.results))
    _print_notes(run)
    _print_errors(run)
    raise typer.Exit(report.diff_exit_code(run.results))


@app.command()
def fix(
    paths: Optional[List[str]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    safe_only: bool = SafeOnlyOpt,
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Apply fixes in place. Exit 0: nothing left, 1: findings remain unfixed, 2: errors."""
    run = _run(
        paths,
        _options(paths, select, ignore, fix=True, safe_only=safe_only, jobs=jobs, no_cache=no_cache, quiet=quiet),
    )
    written = api.write_changes(run)
    for r in written if not quiet else ():
        counts: dict[str, int] = {}
        for rule in r.applied:
            counts[rule] = counts.get(rule, 0) + 1
        detail = ", ".join(f"{rule} x{n}" for rule, n in counts.items())
        _err(f"fixed {r.path} ({detail})")
    _print_notes(run)
    _print_errors(run)
    remaining = sum(len(r.remaining) for r in run.results)
    if not quiet:
        _err(f"{len(written)} file{'s' * (len(written) != 1)} fixed; {remaining} finding{'s' * (remaining != 1)} left.")
    raise typer.Exit(report.fix_exit_code(run.results))


@app.command()
def rules() -> None:
    """List the transforms: id, whether it fixes, summary."""
    transforms = registry.all_transforms()
    width = max(len(t.id) for t in transforms)
    for t in transforms:
        fixes = "fix" if t.fixable else "   "
        default = "" if t.default_enabled else " (off by default)"
        sys.stdout.write(f"{t.id:<{width}}  {fixes}  {t.summary}{default}\n")


@app.command()
def explain(rule: str = typer.Argument(..., help="A rule id, as listed by `otpfix rules`.")) -> None:
    """Print a rule's documentation: what, why, example, fix safety."""
    try:
        cls = registry.get(rule)
    except registry.RegistryError as exc:
        _err(f"otpfix: error: {exc}")
        raise typer.Exit(report.EXIT_ERROR)
    fixes = "yes" if cls.fixable else "no (report only)"
    sys.stdout.write(f"# {cls.id}\n\n{cls.summary}\n\nFixable: {fixes}\n\n{cls.documentation()}\n")


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"otpfix {__version__}\n")


def main() -> None:
    """Console entry point: no traceback ever reaches the user (OTPFIX_DEBUG=1 shows it)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("otpfix: interrupted")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last line of defence
        if os.environ.get("OTPFIX_DEBUG"):
            raise
        _err(f"otpfix: internal error: {type(exc).__name__}: {exc} (set OTPFIX_DEBUG=1 for details)")
        sys.exit(report.EXIT_ERROR)
