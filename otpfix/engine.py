"""One file: check -> suppress -> apply -> re-parse -> repeat until stable.

`process_source` never raises for a problem in the file or in a rule: everything ends up
in the returned FileResult (findings, notes, or error).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence

from . import suppress
from .fingerprint import fingerprint
from .edits import apply_fixes
from .syntax import Source, error_count, first_error
from .transform import Context, Transform, is_test_path
from .types import Applicability, FileResult, Finding, RunOptions

UTF8_BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """The file cannot be processed; the message is one line for the user."""


def check_input(data: bytes, options: RunOptions) -> None:
    """Refuse input otpfix cannot handle faithfully (the file is then left alone)."""
    if len(data) > options.max_file_size:
        raise InputError(
            f"file is larger than the {options.max_file_size} byte limit; skipped"
        )
    if b"\x00" in data:
        raise InputError("file looks binary (contains NUL bytes); skipped")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "otpfix reads UTF-8 Elixir source only; skipped"
        ) from None


def enabled_rules(rules: Sequence[Transform], path: str, options: RunOptions) -> list[Transform]:
    """The rules that apply to this file (test files are skipped by rules that ask)."""
    test_file = is_test_path(path)
    return [r for r in rules if not (r.skip_tests and test_file and not options.include_tests)]


def active_rules(rules: Sequence[Transform], path: str, data: bytes, options: RunOptions):
    """The enabled rules that can match these bytes."""
    return [r for r in enabled_rules(rules, path, options) if r.could_match(data)]


def run_checks(
    source: Source,
    path: str,
    rules: Sequence[Transform],
    project: Mapping[str, Any],
    enabled: Iterable[str] | None = None,
    baseline: tuple[bytes, Sequence[Finding]] | None = None,
) -> list[Finding]:
    """Findings of `rules` on one file, minus those suppressed by `# otpfix:ignore`.

    `after_suppression` rules (unused-ignore) run last, on what the suppression comments
    did; `enabled` names every rule enabled for this file (default: `rules`), which is
    what they may judge. `baseline`: (the bytes as read, the findings on them) when
    `source` is the output of fixes made earlier in this run.
    """
    ctx = Context(source, path, project)
    ctx.enabled = frozenset(enabled if enabled is not None else (r.id for r in rules))
    ctx.baseline = (baseline[0], tuple(baseline[1])) if baseline is not None else None
    findings = _check(ctx, [r for r in rules if not r.after_suppression])
    suppressions = suppress.Suppressions(source)
    findings = suppressions.filter(findings)
    late = [r for r in rules if r.after_suppression]
    if late:
        ctx.suppressions = suppressions
        findings += suppressions.filter(_check(ctx, late))
    if suppressions:
        findings = [
            f if f.fix is None else replace(f, fix=suppressions.keep_attached(f.fix))
            for f in findings
        ]
    findings = [replace(f, fingerprint=fingerprint(source, f)) for f in findings]
    findings.sort(key=lambda f: f.sort_key)
    return findings


def _check(ctx: Context, rules: Sequence[Transform]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        try:
            for finding in rule.check(ctx.for_rule(rule)) or ():
                findings.append(finding)
        except RecursionError:
            raise InputError(f"rule {rule.id}: code nested too deeply to analyse") from None
        except Exception as exc:  # a bug in a rule must not take the run down
            raise InputError(f"internal error in rule {rule.id}: {type(exc).__name__}: {exc}") from None
    return findings


def _usable(finding: Finding, options: RunOptions) -> bool:
    fix = finding.fix
    if fix is None:
        return False
    if options.accept is not None and (finding.path, finding.fingerprint) not in options.accept:
        return False
    return not (options.safe_only and fix.applicability is not Applicability.SAFE)


def _fix_key(finding: Finding, data: bytes) -> tuple:
    """Identity of a fix that survives the passes: the rule, and what it replaces with what."""
    assert finding.fix is not None
    return (
        finding.rule,
        finding.fix.title,
        tuple((data[e.start : e.end], e.text) for e in finding.fix.edits),
    )


def process_source(
    path: str,
    data: bytes,
    rules: Sequence[Transform],
    options: RunOptions,
    project: Mapping[str, Any] | None = None,
    source: Source | None = None,
) -> FileResult:
    """`source`: the file already parsed (its bytes are `data`)."""
    try:
        return _process(path, data, rules, options, project or {}, source)
    except InputError as exc:
        return FileResult(path=path, original=data, error=str(exc))
    except RecursionError:
        return FileResult(path=path, original=data, error="code nested too deeply to parse; skipped")


def _process(
    path: str,
    data: bytes,
    rules: Sequence[Transform],
    options: RunOptions,
    project: Mapping[str, Any],
    source: Source | None = None,
) -> FileResult:
    check_input(data, options)
    enabled = frozenset(r.id for r in enabled_rules(rules, path, options))
    rules = active_rules(rules, path, data, options)
    if not rules:
        return FileResult(path=path, original=data)
    if source is None:
        source = Source(data, path)
    findings = run_checks(source, path, rules, project, enabled)
    if source.root.has_error:
        err = first_error(source.root)
        line, column = source.position(err.start_byte) if err is not None else (0, 0)
        what = "not fixed" if options.fix else "findings may be incomplete"
        return FileResult(
            path=path,
            findings=tuple(findings),
            original=data,
            remaining=tuple(findings),
            error=f"syntax error near line {line}, column {column}: {what}",
        )
    if not options.fix:
        return FileResult(path=path, findings=tuple(findings), original=data, remaining=tuple(findings))

    notes: list[str] = []
    current, current_findings = data, findings
    applied_rules: list[str] = []
    poisoned: set[tuple] = set()
    for _ in range(options.max_passes):
        candidates = [
            f
            for f in current_findings
            if _usable(f, options) and _fix_key(f, current) not in poisoned
        ]
        if not candidates:
            break
        result = apply_fixes(current, [f.fix for f in candidates])  # type: ignore[misc]
        if not result.applied:
            break
        new_source = Source(result.data, path)
        chosen = [candidates[i] for i in result.applied]
        if error_count(new_source.root) > 0:
            kept = _bisect_bad_fixes(current, chosen, path, poisoned, notes)
            if not kept:
                continue  # everything of this pass was poisoned; recompute
            result = apply_fixes(current, [f.fix for f in kept])  # type: ignore[misc]
            new_source = Source(result.data, path)
            chosen = [kept[i] for i in result.applied]
        applied_rules.extend(f.rule for f in chosen)
        current = result.data
        current_findings = run_checks(
            new_source, path, rules, project, enabled, baseline=(data, findings)
        )
    else:
        if any(_usable(f, options) and _fix_key(f, current) not in poisoned for f in current_findings):
            notes.append(
                f"fixes did not settle after {options.max_passes} passes "
                "(a bug in otpfix: please report it); the result so far is kept"
            )

    fixed = current if current != data else None
    return FileResult(
        path=path,
        findings=tuple(findings),
        original=data,
        fixed=fixed,
        applied=tuple(applied_rules),
        notes=tuple(notes),
        remaining=tuple(f for f in current_findings),
    )


def _bisect_bad_fixes(
    data: bytes,
    chosen: list[Finding],
    path: str,
    poisoned: set[tuple],
    notes: list[str],
) -> list[Finding]:
    """Apply fixes one by one; drop (and remember) those that introduce a syntax error."""
    kept: list[Finding] = []
    for finding in chosen:
        trial = apply_fixes(data, [f.fix for f in kept + [finding]])  # type: ignore[misc]
        if error_count(Source(trial.data, path).root) == 0:
            kept.append(finding)
        else:
            poisoned.add(_fix_key(finding, data))
            notes.append(
                f"dropped a fix of rule {finding.rule} at line {finding.span.line}: "
                "it would introduce a syntax error (a bug in otpfix: please report it)"
            )
    return kept


def checking_rules(
    path: str, data: bytes, rules: Sequence[Transform], options: RunOptions
) -> list[Transform]:
    """The project-aware rules that `process_source` would run on this file (none for a
    file it refuses): files that need project facts before they can be checked."""
    project_rules = [r for r in rules if r.uses_project()]
    if not project_rules:
        return []
    try:
        check_input(data, options)
    except InputError:
        return []
    return active_rules(project_rules, path, data, options)


def provided_by(
    path: str, data: bytes, rules: Sequence[Transform], options: RunOptions, checked: bool = False
) -> dict[str, tuple[bytes, ...] | None]:
    """{rule id: the keys `rule.provides` gives this file, or None for any key} for the
    project-aware rules that would collect it (none for a file they cannot collect, nor
    for one `check_input` refuses; `checked`: the caller has just checked it)."""
    out: dict[str, tuple[bytes, ...] | None] = {}
    project_rules = [r for r in rules if r.uses_project()]
    if not project_rules:
        return out
    if not checked:
        try:
            check_input(data, options)
        except InputError:
            return out
    # Rules may return the very same keys object (narrow-rescue and broad-catch): sorted
    # once, and one tuple for both (sent back from a worker once).
    done: dict[int, tuple[Any, tuple[bytes, ...]]] = {}
    for rule in enabled_rules(project_rules, path, options):
        if not rule.could_collect(data):
            continue
        try:
            keys = rule.provides(data)
            if keys is None:
                out[rule.id] = None
                continue
            if id(keys) not in done:
                done[id(keys)] = (keys, tuple(sorted(set(keys))))  # (keys kept alive: ids stay unique)
            out[rule.id] = done[id(keys)][1]
        except Exception:
            out[rule.id] = None
    return out


def first_pass(
    path: str,
    data: bytes,
    rules: Sequence[Transform],
    options: RunOptions,
    waiting: Sequence[Transform],
    source: Source | None = None,
) -> FileResult | dict[str, tuple[bytes, ...] | None]:
    """A file that the project-aware rules `waiting` will check: what they want
    (`wanted_of`), or, when they want no facts at all, its FileResult at once (with no
    facts: what they read is nothing), from the same parse. `source`: the file already
    parsed (its bytes are `data`)."""
    if source is None:
        try:
            source = Source(data, path)
        except Exception:
            return {r.id: None for r in waiting}
    wants = wanted_of(path, data, waiting, source)
    if all(keys is not None and not keys for keys in wants.values()):
        return process_source(path, data, rules, options, {}, source)
    return wants


def wanted_of(
    path: str, data: bytes, rules: Sequence[Transform], source: Source | None = None
) -> dict[str, tuple[bytes, ...] | None]:
    """{rule id: the keys `rule.wanted` returns on this file, sorted, or None for "every
    file"}. A rule that fails here wants every file (never a wrong skip); its check
    reports the failure later."""
    out: dict[str, tuple[bytes, ...] | None] = {}
    if source is None:
        try:
            source = Source(data, path)
        except Exception:
            return {r.id: None for r in rules}
    ctx = Context(source, path)
    for rule in rules:
        try:
            wanted = rule.wanted(ctx.for_rule(rule))
            out[rule.id] = None if wanted is None else tuple(sorted(set(wanted)))
        except Exception:  # RecursionError included
            out[rule.id] = None
    return out


def key_base(key: bytes) -> bytes:
    """The provided key a wanted key refines (`b"Mod/fun"` -> `b"Mod"`)."""
    return key.partition(b"/")[0]


def follow(rule: Transform, facts: Any, keys: frozenset[bytes]) -> tuple[bytes, ...] | None:
    """What `rule.wanted_next` returns for these keys of one file's facts, sorted; None
    ("every file") if it fails."""
    try:
        more = rule.wanted_next(facts, keys)
        return None if more is None else tuple(sorted(set(more)))
    except Exception:
        return None


def collect_facts(
    path: str, data: bytes, rules: Iterable[Transform], options: RunOptions, source: Source | None = None
) -> dict[str, Any]:
    """Run every project-aware rule's `collect` on one file: {rule id: facts}. `source`:
    the file already parsed (its bytes are `data`)."""
    rules = [r for r in rules if r.uses_project()]
    out: dict[str, Any] = {}
    try:
        check_input(data, options)
    except InputError:
        return out
    rules = [r for r in enabled_rules(rules, path, options) if r.could_collect(data)]
    if not rules:
        return out
    if source is None:
        source = Source(data, path)
    ctx = Context(source, path)
    for rule in rules:
        try:
            facts = rule.collect(ctx.for_rule(rule))
        except Exception:
            continue  # the check phase reports the rule's failure for this file
        if facts is not None:
            out[rule.id] = facts
    return out
