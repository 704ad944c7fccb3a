"""The command line: flags become one RunOptions handed to the engine. Nothing else."""


import os
import sys
from dataclasses import replace
from enum import Enum
from typing import List, Optional

import typer

from . import __version__, api, baseline, config, registry, report
from .diff import find_patch_root, patch_paths, run_diff, summarize
from .elixir import ElixirUnavailable
from .verify import verify_results
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
SelectOpt = typer.Option(None, "--select", help="Only these rules (comma-separated, repeatable); replaces the config's select and ignore.")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these rules (comma-separated, repeatable), on top of the config's ignore.")
SafeOnlyOpt = typer.Option(False, "--safe-only", help="Apply only fixes marked safe.")
MaxSizeOpt = typer.Option(
    None,
    "--max-file-size",
    min=1,
    help="Skip (and report) files larger than this many bytes [default: the config's, else 10 MB].",
    show_default=False,
)
VerifyOpt = typer.Option(
    False, "--verify", help="Check every rewritten file with the real Elixir parser (needs `elixir`)."
)
ConfigOpt = typer.Option(
    None,
    "--config",
    help="Read this config file instead of the .otpfix.toml found above the first path.",
    show_default=False,
)
NoConfigOpt = typer.Option(False, "--no-config", help="Read no .otpfix.toml.")
JobsOpt = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes (default: one per core).", show_default=False)
NoCacheOpt = typer.Option(False, "--no-cache", help="Neither read nor write the .otpfix_cache/ result cache.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary on stderr.")


def _options(
    paths,
    select,
    ignore,
    config_file,
    no_config,
    *,
    fix: bool,
    safe_only: bool = False,
    max_file_size=None,
    jobs: int = 0,
    no_cache: bool = False,
    quiet: bool = False,
) -> RunOptions:
    """Flags over the config file (see otpfix/config.py); config errors exit 2."""
    try:
        found = config.discover(paths, config_file, no_config)
        cache_dir = None
        if not no_cache:
            cache_dir = api.default_cache_dir(paths or ["."], found.root if found is not None else None)
        return config.run_options(
            found,
            select=_split(select),
            ignore=_split(ignore) or (),
            fix=fix,
            safe_only=safe_only,
            max_file_size=max_file_size,
            jobs=jobs,
            cache_dir=cache_dir,
            progress=not quiet,
        )
    except config.ConfigError as exc:
        _err(f"otpfix: error: {exc}")
        raise typer.Exit(report.EXIT_ERROR)


def _run(paths: Optional[List[str]], options: RunOptions) -> api.Run:
    try:
        return api.run(paths or ["."], options)
    except registry.RegistryError as exc:
        _err(f"otpfix: error: {exc}")
        raise typer.Exit(report.EXIT_ERROR)


def _verify(run: api.Run) -> None:
    from .elixir import elixir_path

    if elixir_path() is None:
        _err("otpfix: error: --verify: `elixir` is not on PATH (Debian/Ubuntu: apt-get install -y elixir)")
        raise typer.Exit(report.EXIT_ERROR)
    try:
        run.results = verify_results(run.results)
    except ElixirUnavailable as exc:
        _err(f"otpfix: error: --verify: {exc}")
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
    max_file_size: Optional[int] = MaxSizeOpt,
    config_file: Optional[str] = ConfigOpt,
    no_config: bool = NoConfigOpt,
    baseline_file: Optional[str] = typer.Option(
        None, "--baseline", help="Report (and fail on) only findings not in this baseline file."
    ),
    write_baseline: Optional[str] = typer.Option(
        None, "--write-baseline", help=f"Record the current findings in FILE (conventionally {baseline.DEFAULT_FILE})."
    ),
    prune_baseline: bool = typer.Option(
        False, "--prune-baseline", help="With --baseline: rewrite it without its stale entries."
    ),
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """List findings. Exit 0: none, 1: findings, 2: errors."""
    options = _options(
        paths, select, ignore, config_file, no_config, fix=False, max_file_size=max_file_size,
        jobs=jobs, no_cache=no_cache, quiet=quiet,
    )
    if not baseline_file and options.baseline and not write_baseline:
        if os.path.exists(options.baseline):
            baseline_file = options.baseline
        else:
            _err(f"note: the configured baseline {options.baseline} does not exist yet (create it with --write-baseline)")
    if prune_baseline and not baseline_file:
        _err("otpfix: error: --prune-baseline needs --baseline FILE (or `baseline` in .otpfix.toml)")
        raise typer.Exit(report.EXIT_ERROR)
    run = _run(paths, options)
    stale = None
    if write_baseline:
        entries = baseline.entries_of(run.results, baseline.base_dir_of(write_baseline))
        try:
            baseline.write(write_baseline, entries)
        except OSError as exc:
            _err(f"otpfix: error: cannot write baseline {write_baseline}: {exc.strerror or exc}")
            raise typer.Exit(report.EXIT_ERROR)
        _err(f"wrote {len(entries)} finding{'s' * (len(entries) != 1)} to {write_baseline}")
        if run.errors:
            _err(f"note: {len(run.errors)} file(s) could not be processed; their findings are not in the baseline")
    if baseline_file:
        try:
            outcome = baseline.apply(
                run.results,
                baseline.load(baseline_file),
                baseline.base_dir_of(baseline_file),
                [r.id for r in run.rules],
            )
        except baseline.BaselineError as exc:
            _err(f"otpfix: error: {exc}")
            raise typer.Exit(report.EXIT_ERROR)
        run.results = outcome.results
        stale = len(outcome.stale)
        if outcome.stale:
            if prune_baseline:
                baseline.write(baseline_file, outcome.kept)
                _err(f"pruned {len(outcome.stale)} stale entries from {baseline_file}")
            else:
                _err(
                    f"{len(outcome.stale)} stale baseline entr{'ies' if len(outcome.stale) != 1 else 'y'} "
                    f"in {baseline_file} (run with --prune-baseline to drop them)"
                )
    if format is Format.json:
        sys.stdout.write(report.render_json(run.results, baseline=bool(baseline_file), stale=stale))
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
    verify: bool = VerifyOpt,
    max_file_size: Optional[int] = MaxSizeOpt,
    config_file: Optional[str] = ConfigOpt,
    no_config: bool = NoConfigOpt,
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Write the patch to FILE instead of stdout (empty when nothing changes).",
    ),
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Print the fixes as a unified diff; change no source file. Exit 0: no change, 1: diff, 2: errors.

    Paths in the patch are relative to the git repository root (else to the current directory): apply it from there with `git apply` or `patch -p1`."""
    run = _run(
        paths,
        _options(
            paths, select, ignore, config_file, no_config, fix=True, safe_only=safe_only,
            max_file_size=max_file_size, jobs=jobs, no_cache=no_cache, quiet=quiet,
        ),
    )
    if verify:
        _verify(run)
    patch = run_diff(run.results, patch_paths(run.fs_paths, find_patch_root()))
    data = patch.encode("utf-8")
    if output is not None:
        try:
            with open(output, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            _err(f"otpfix: error: cannot write {output}: {exc.strerror or exc}")
            raise typer.Exit(report.EXIT_ERROR)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    _print_notes(run)
    _print_errors(run)
    where = f" written to {output}" if output is not None else ""
    if patch:
        _err(f"patch{where}: {summarize(patch)}")
    else:
        _err(f"no changes{'; empty patch' + where if output is not None else ''}")
    raise typer.Exit(report.diff_exit_code(run.results))


@app.command()
def fix(
    paths: Optional[List[str]] = PathsArg,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    safe_only: bool = SafeOnlyOpt,
    verify: bool = VerifyOpt,
    max_file_size: Optional[int] = MaxSizeOpt,
    config_file: Optional[str] = ConfigOpt,
    no_config: bool = NoConfigOpt,
    interactive: bool = typer.Option(
        False, "--interactive", "-i", help="Review each fix: [y]es / [n]o / [a]ll of this rule / [q]uit."
    ),
    branch: Optional[str] = typer.Option(
        None, "--branch", metavar="NAME",
        help="Do not touch the files: commit the fixes on a new branch NAME, one commit per rule.",
    ),
    repo: Optional[str] = typer.Option(
        None, "--repo", metavar="DIR", help="With --branch: the repository (default: the one holding PATH)."
    ),
    base: Optional[str] = typer.Option(
        None, "--base", metavar="REV", help="With --branch: start from REV instead of HEAD."
    ),
    force: bool = typer.Option(False, "--force", help="With --branch: replace an existing branch NAME."),
    pr_body: Optional[str] = typer.Option(
        None, "--pr-body", metavar="FILE", help="With --branch: write a Markdown review summary to FILE."
    ),
    jobs: int = JobsOpt,
    no_cache: bool = NoCacheOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Apply fixes in place. Exit 0: nothing left, 1: findings remain unfixed, 2: errors.

    With --branch NAME: leave the working tree alone and commit the fixes of the committed content on a new branch, one commit per rule. Exit 0: branch created or nothing to fix, 2: refused or errors."""
    run_settings = dict(max_file_size=max_file_size, jobs=jobs, no_cache=no_cache, quiet=quiet)
    if branch is None:
        given = [flag for flag, value in (("--repo", repo), ("--base", base), ("--force", force),
                                          ("--pr-body", pr_body)) if value]
        if given:
            _err(f"otpfix: error: {', '.join(given)} only work together with --branch NAME")
            raise typer.Exit(report.EXIT_ERROR)
    else:
        if interactive:
            _err("otpfix: error: --interactive and --branch do not go together")
            raise typer.Exit(report.EXIT_ERROR)
        # The working tree stays untouched: no cache written into it either.
        run_settings["no_cache"] = True
        options = _options(paths, select, ignore, config_file, no_config, fix=True, safe_only=safe_only, **run_settings)
        raise typer.Exit(_fix_branch(branch, paths, options, repo, base, force, pr_body, verify))
    if interactive:
        _fix_interactively(paths, _options(paths, select, ignore, config_file, no_config, fix=False, safe_only=safe_only, **run_settings), verify)
        return
    run = _run(paths, _options(paths, select, ignore, config_file, no_config, fix=True, safe_only=safe_only, **run_settings))
    if verify:
        _verify(run)
    _write_and_report(run, quiet=quiet)


def _fix_interactively(paths, options: RunOptions, verify: bool) -> None:
    from rich.console import Console

    from .interactive import review

    if not sys.stdin.isatty():
        _err("otpfix: error: --interactive needs a terminal on standard input")
        raise typer.Exit(report.EXIT_ERROR)
    run = _run(paths, options)
    console = Console(stderr=True, highlight=False)

    def ask(prompt: str) -> str:
        console.print(prompt, end="", markup=False)
        try:
            return input()
        except EOFError:
            return "q"

    decisions = review(run.results, ask, console, safe_only=options.safe_only)
    if decisions.ambiguous:
        _err(
            f"note: {decisions.ambiguous} fix(es) were both accepted and rejected for identical code "
            "in the same function; those are left alone"
        )
    accept = decisions.accept
    if decisions.quit and accept:
        if ask(f"Write the {len(accept)} accepted fix(es)? [y/N]: ").strip().lower() != "y":
            _err("nothing written.")
            raise typer.Exit(report.EXIT_OK)
    if not accept:
        _err("nothing to write.")
        raise typer.Exit(report.EXIT_ERROR if run.errors else report.EXIT_OK)
    run = _run(paths, replace(options, fix=True, accept=accept))
    if verify:
        _verify(run)
    _write_and_report(run, interactive=True)


def _write_and_report(run: api.Run, interactive: bool = False, quiet: bool = False) -> None:
    written = api.write_changes(run)
    for r in written if not quiet else ():
        counts: dict[str, int] = {}
        for rule in r.applied:
            counts[rule] = counts.get(rule, 0) + 1
        detail = ", ".join(f"{rule} x{n}" for rule, n in counts.items())
        _err(f"fixed {r.path} ({detail})")
    _print_notes(run)
    _print_errors(run)
    if interactive:
        _err(f"{len(written)} file{'s' * (len(written) != 1)} written.")
        raise typer.Exit(report.EXIT_ERROR if run.errors else report.EXIT_OK)
    remaining = sum(len(r.remaining) for r in run.results)
    if not quiet:
        _err(f"{len(written)} file{'s' * (len(written) != 1)} fixed; {remaining} finding{'s' * (remaining != 1)} left.")
    raise typer.Exit(report.fix_exit_code(run.results))


def _fix_branch(branch, paths, options, repo, base, force, pr_body, verify=False) -> int:
    result = None
    if verify:
        from .elixir import elixir_path

        if elixir_path() is None:
            _err("otpfix: error: --verify: `elixir` is not on PATH (Debian/Ubuntu: apt-get install -y elixir)")
            return report.EXIT_ERROR
    try:
        from . import gitbranch

        # Everything inside the guard: once the branch ref is written, an interrupt
        # (Ctrl-C, SIGTERM) waits until the report saying so has been printed.
        with gitbranch.interrupts_as_keyboard_interrupt():
            try:
                result = gitbranch.create_fix_branch(
                    branch, paths, options, repo_dir=repo, base=base, force=force, verify=verify
                )
            except (gitbranch.BranchError, registry.RegistryError, ElixirUnavailable) as exc:
                _err(f"otpfix: error: {exc}")
                return report.EXIT_ERROR
            return _report_branch(gitbranch, result, pr_body)
    except KeyboardInterrupt:
        if result is not None and result.created:
            _err(f"otpfix: interrupted (after branch {branch} was created, see above)")
        else:
            _err(
                f"otpfix: interrupted; branch {branch} was not created or changed "
                "(your working tree, index and HEAD were not touched)"
            )
        return 130


def _report_branch(gitbranch, result, pr_body) -> int:
    for line in gitbranch.render_report(result):
        _err(line)
    for path, note in result.notes:
        _err(f"{path}: {note}")
    for path, message in result.errors:
        _err(f"{path}: error: {message}")
    code = report.EXIT_ERROR if result.errors else report.EXIT_OK
    if pr_body is not None:
        if not result.created:
            _err(f"--pr-body: {pr_body} not written (no branch was created)")
        else:
            try:
                gitbranch.write_text_atomic(pr_body, gitbranch.render_pr_body(result))
                _err(f"review summary written to {pr_body}")
            except OSError as exc:
                _err(f"otpfix: error: cannot write {pr_body}: {exc.strerror or exc}")
                code = report.EXIT_ERROR
    sys.stderr.flush()
    return code


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
    text = f"# {cls.id}\n\n{cls.summary}\n\nFixable: {fixes}\n\n{cls.documentation()}\n"
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        sys.stdout.write(text)


@app.command()
def init(
    directory: str = typer.Argument(".", help="Where to write .otpfix.toml."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing .otpfix.toml."),
) -> None:
    """Write a commented .otpfix.toml (every rule and option at its default) and print a
    GitHub Actions workflow that uploads SARIF to code scanning and opens a fix branch."""
    from .init import WORKFLOW, config_text

    target = os.path.join(directory, config.CONFIG_NAME)
    if os.path.exists(target) and not force:
        _err(f"otpfix: error: {target} exists (use --force to overwrite)")
        raise typer.Exit(report.EXIT_ERROR)
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(config_text())
    _err(f"wrote {target}")
    sys.stdout.write(WORKFLOW)


@app.command()
def version() -> None:
    """Print the version."""
    sys.stdout.write(f"otpfix {__version__}\n")


def main() -> None:
    """Console entry point: no traceback ever reaches the user (OTPFIX_DEBUG=1 shows it)."""
    api.tune_gc()
    try:
        _main()
    finally:
        # Objects left at exit are not searched for cycles once more (the interpreter's
        # exit makes a last full collection: 30-40 ms after a scan of 5,000 files).
        import gc

        gc.freeze()


def _main() -> None:
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _err("otpfix: interrupted")
        sys.exit(130)
    except api.Terminated as exc:  # SIGTERM/SIGHUP while workers ran (see api)
        _err("otpfix: interrupted")
        sys.exit(128 + exc.signum)
    except Exception as exc:  # pragma: no cover - last line of defence
        if os.environ.get("OTPFIX_DEBUG"):
            raise
        _err(f"otpfix: internal error: {type(exc).__name__}: {exc} (set OTPFIX_DEBUG=1 for details)")
        sys.exit(report.EXIT_ERROR)
