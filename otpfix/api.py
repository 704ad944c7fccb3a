"""Many files: discovery, the optional project pass, per-file processing, writing.

Nothing here raises for a problem in one file: it becomes that file's `error`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from . import globs, registry
from .engine import collect_facts, process_source
from .files import Target, atomic_write, describe_os_error, discover, read_bytes
from .transform import Transform
from .types import FileResult, RunOptions


@dataclass
class Run:
    options: RunOptions
    rules: list[Transform]
    results: list[FileResult] = field(default_factory=list)
    fs_paths: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.results if r.error]

    @property
    def findings(self):
        return [f for r in self.results for f in r.findings]

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.changed]


def _read(target: Target, options: RunOptions) -> tuple[bytes | None, str | None]:
    if target.error:
        return None, target.error
    try:
        return read_bytes(target.fs_path, options.max_file_size), None
    except OSError as exc:
        return None, describe_os_error(exc)


def rules_for_path(
    fs_path: str, rules: Sequence[Transform], options: RunOptions
) -> Sequence[Transform]:
    """`rules` minus those a `per_path_ignore` glob turns off for this file."""
    if not options.per_path_ignore:
        return rules
    rel = globs.relative_to(fs_path, options.root)
    off = {
        rule_id
        for pattern, ids in options.per_path_ignore
        if globs.matches_any(rel, (pattern,))
        for rule_id in ids
    }
    return [r for r in rules if r.id not in off] if off else rules


def process_target(
    target: Target, rules: Sequence[Transform], options: RunOptions, project: dict[str, Any]
) -> FileResult:
    data, error = _read(target, options)
    if data is None:
        return FileResult(path=target.path, error=error)
    rules = rules_for_path(target.fs_path, rules, options)
    return process_source(target.path, data, rules, options, project)


def build_project(
    files: Iterable[tuple[str, bytes | None]], rules: Sequence[Transform], options: RunOptions
) -> dict[str, dict[str, Any]]:
    """{rule id: {path: facts}} from every rule's `collect` over every (path, bytes)."""
    project: dict[str, dict[str, Any]] = {}
    if not any(r.uses_project() for r in rules):
        return project
    for path, data in files:
        if data is None:
            continue
        for rule_id, facts in collect_facts(path, data, rules, options).items():
            project.setdefault(rule_id, {})[path] = facts
    return project


def _resolve(options: RunOptions) -> list[Transform]:
    rules = registry.resolve(options.select, options.ignore, options.rule_options)
    registry.check_ids((i for _, ids in options.per_path_ignore for i in ids), "per-path ignore")
    for pattern in (*options.exclude, *(p for p, _ in options.per_path_ignore)):
        try:
            globs.validate(pattern)
        except globs.GlobError as exc:
            raise registry.RegistryError(str(exc)) from None
    return rules


def run(paths: Iterable[str], options: RunOptions) -> Run:
    """Process every file under `paths`; raises registry.RegistryError for bad rule ids."""
    rules = _resolve(options)
    targets = discover(list(paths), options.exclude, options.root)
    project = build_project(
        ((t.path, _read(t, options)[0]) for t in targets if any(r.uses_project() for r in rules)),
        rules,
        options,
    )
    out = Run(options=options, rules=rules)
    for target in targets:
        out.fs_paths[target.path] = target.fs_path
        out.results.append(process_target(target, rules, options, project))
    return out


def run_sources(sources: Mapping[str, bytes], options: RunOptions) -> Run:
    """Like `run`, on in-memory files {display path: bytes} (tests, git blobs).

    Display paths are taken relative to the current directory for `per_path_ignore`
    (`exclude` is a discovery setting and does not apply). Raises
    registry.RegistryError for bad rule ids."""
    rules = _resolve(options)
    project = build_project(((p, sources[p]) for p in sorted(sources)), rules, options)
    out = Run(options=options, rules=rules)
    for path in sorted(sources):
        file_rules = rules_for_path(path, rules, options)
        out.results.append(process_source(path, sources[path], file_rules, options, project))
    return out


def write_changes(run: Run) -> list[FileResult]:
    """Write every changed file atomically. Returns results with write errors recorded."""
    written: list[FileResult] = []
    for i, result in enumerate(run.results):
        if not result.changed:
            continue
        try:
            atomic_write(run.fs_paths[result.path], result.fixed, expected=result.original)  # type: ignore[arg-type]
            written.append(result)
        except OSError as exc:
            message = describe_os_error(exc)
            if not message.endswith("not written"):
                message += "; not written"
            run.results[i] = FileResult(
                path=result.path,
                findings=result.findings,
                original=result.original,
                error=message,
                remaining=result.findings,
            )
    return written
