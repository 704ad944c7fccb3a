"""Many files: discovery, the optional project pass, per-file processing, writing.

Nothing here raises for a problem in one file: it becomes that file's `error`.

Files are processed serially or in a process pool (`RunOptions.jobs`); either way the
results come back in the same order and are identical. Each worker builds its own
transforms from (select, ignore, rule_options) once; only file names (or in-memory
sources), project facts and FileResults cross the process boundary, never a tree.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from . import cache as cache_mod
from . import registry
from .engine import UTF8_BOM, active_rules, collect_facts, process_source
from .files import Target, atomic_write, describe_os_error, discover, read_bytes
from .transform import Transform
from .types import FileResult, RunOptions

#: Below this many files a run stays serial: starting workers would cost more than it saves.
PARALLEL_MIN_FILES = 40
#: A progress bar appears only for runs of more than this many files.
PROGRESS_MIN_FILES = 300

#: A file to process: a discovered Target (read from disk) or an in-memory (path, bytes).
Item = Target | tuple[str, bytes]


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


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def effective_jobs(requested: int, files: int) -> int:
    """Worker processes for a run of `files` files (1: serial, in this process)."""
    jobs = requested if requested > 0 else available_cores()
    if files < PARALLEL_MIN_FILES:
        return 1
    return max(1, min(jobs, files))


def default_cache_dir(paths: Sequence[str], config_path: str | None = None) -> str:
    """`.otpfix_cache/` next to the config file, else in the first PATH (a directory) or
    beside it (a file)."""
    if config_path:
        base = os.path.dirname(os.path.abspath(config_path))
    else:
        first = paths[0] if paths else "."
        base = first if os.path.isdir(first) else os.path.dirname(os.path.abspath(first))
    return os.path.join(base, cache_mod.CACHE_DIR_NAME)


def _read(target: Target, options: RunOptions) -> tuple[bytes | None, str | None]:
    if target.error:
        return None, target.error
    try:
        return read_bytes(target.fs_path, options.max_file_size), None
    except OSError as exc:
        return None, describe_os_error(exc)


# -- one worker (a pool process, or this process for serial runs) --------------------------


class _Worker:
    """Everything a process needs to handle files of one run; built once per process."""

    def __init__(
        self,
        options: RunOptions,
        project: Mapping[str, Mapping[str, Any]],
        project_digests: Mapping[str, str],
        base_key: str | None,
        slim: bool,
    ) -> None:
        self.options = options
        self.rules = registry.resolve(options.select, options.ignore, options.rule_options)
        self.project_rules = [r for r in self.rules if r.uses_project()]
        self.project = project
        self.project_digests = project_digests
        self.cache = cache_mod.Cache(options.cache_dir) if options.cache_dir and base_key else None
        self.base_key = base_key or ""
        self.slim = slim

    def _load(self, item: Item) -> tuple[str, bytes | None, str | None]:
        if isinstance(item, Target):
            data, error = _read(item, self.options)
            return item.path, data, error
        return item[0], item[1], None

    # -- project pass ----------------------------------------------------------------------
    def collect(self, item: Item) -> dict[str, Any]:
        path, data, _error = self._load(item)
        if data is None:
            return {}
        if self.cache is None:
            return collect_facts(path, data, self.rules, self.options)
        key = cache_mod.entry_key("facts", self.base_key, path, cache_mod.content_digest(data))
        raw = self.cache.get(key)
        if raw is not None:
            try:
                facts = cache_mod.decode(raw)
                if isinstance(facts, dict):
                    return facts
            except Exception:
                pass  # a corrupt entry is a miss
        facts = collect_facts(path, data, self.rules, self.options)
        try:
            self.cache.put(key, cache_mod.encode(facts))
        except cache_mod.Unencodable:
            pass  # facts of this kind are recomputed every run
        return facts

    # -- per-file processing ---------------------------------------------------------------
    def process(self, item: Item) -> FileResult:
        path, data, error = self._load(item)
        if data is None:
            return FileResult(path=path, error=error)
        result = self._process(path, data)
        return _slim(result) if self.slim else result

    def _process(self, path: str, data: bytes) -> FileResult:
        if self.cache is None:
            return process_source(path, data, self.rules, self.options, self.project)
        key = self._check_key(path, data)
        raw = self.cache.get(key)
        if raw is not None:
            try:
                hit = cache_mod.load_result(path, raw, data)
            except Exception:
                hit = None  # a corrupt entry is a miss
            # The entry holds the findings on the original bytes: all a scan needs. For
            # diff/fix it is the whole answer only when there is nothing to fix.
            if hit is not None and (not self.options.fix or (not hit.findings and not hit.error)):
                return hit
        result = process_source(path, data, self.rules, self.options, self.project)
        # In fix mode an error may come from a later pass on fixed content: not cached.
        if not (self.options.fix and result.error):
            self.cache.put(key, cache_mod.dump_result(result))
        return result

    def _check_key(self, path: str, data: bytes) -> str:
        extra = []
        if self.project_rules:
            # Project facts matter only for the project-aware rules that can run here.
            for rule in active_rules(self.project_rules, path, data, self.options):
                extra.append(f"{rule.id}={self.project_digests.get(rule.id, '')}")
        return cache_mod.entry_key("check", self.base_key, path, cache_mod.content_digest(data), extra)


def _slim(result: FileResult) -> FileResult:
    """Drop `original` where nothing needs it (memory stays bounded on big runs)."""
    if result.original is None or result.fixed is not None:
        return result
    if any(f.fix is not None for f in result.findings):
        return result  # a report may place the fix's edits (SARIF replacements)
    if result.findings and result.original.startswith(UTF8_BOM):
        return result  # SARIF columns on line 1 do not count a byte order mark
    return replace(result, original=None)


_WORKER: _Worker | None = None


def _init_worker(*args: Any) -> None:
    global _WORKER
    _WORKER = _Worker(*args)


def _call(method: str, item: Item) -> Any:
    assert _WORKER is not None
    return getattr(_WORKER, method)(item)


def _mp_context():
    # fork: workers start in milliseconds and inherit the project facts without pickling.
    # (Not on macOS, where fork is unsafe with system frameworks.)
    if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _map(
    method: str,
    items: Sequence[Item],
    jobs: int,
    worker_args: tuple,
    on_broken: Callable[[Item], Any],
    advance: Callable[[], None],
) -> Iterator[Any]:
    """`_Worker.<method>(item)` for every item, in order, serially or in a pool."""
    if jobs <= 1:
        worker = _Worker(*worker_args)
        call = getattr(worker, method)
        for item in items:
            yield call(item)
            advance()
        return
    chunksize = max(1, min(64, len(items) // (jobs * 16)))
    done = 0
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_mp_context(),
        initializer=_init_worker,
        initargs=worker_args,
    ) as pool:
        try:
            for value in pool.map(_call, repeat(method), items, chunksize=chunksize):
                done += 1
                yield value
                advance()
        except BrokenProcessPool:
            pass
    for item in items[done:]:  # a worker died (a crash in the parser): report, go on
        yield on_broken(item)
        advance()


def _broken_result(item: Item) -> FileResult:
    path = item.path if isinstance(item, Target) else item[0]
    return FileResult(path=path, error="an otpfix worker process crashed during this part of the run")


# -- runs ------------------------------------------------------------------------------------


def _execute(items: Sequence[Item], options: RunOptions, rules: list[Transform], slim: bool) -> list[FileResult]:
    jobs = effective_jobs(options.jobs, len(items))
    base = cache_mod.base_key(rules, options) if options.cache_dir else None
    uses_project = any(r.uses_project() for r in rules)
    with _progress(options, len(items) * (2 if uses_project else 1)) as advance:
        project: dict[str, dict[str, Any]] = {}
        if uses_project:
            args = (options, {}, {}, base, slim)
            for item, facts in zip(items, _map("collect", items, jobs, args, lambda _i: {}, advance)):
                path = item.path if isinstance(item, Target) else item[0]
                for rule_id, value in facts.items():
                    project.setdefault(rule_id, {})[path] = value
        digests = {rule_id: cache_mod.digest(facts) for rule_id, facts in project.items()} if base else {}
        args = (options, project, digests, base, slim)
        return list(_map("process", items, jobs, args, _broken_result, advance))


class _progress:
    """A rich progress bar on stderr, only on a terminal and for large runs."""

    def __init__(self, options: RunOptions, total: int) -> None:
        self.enabled = options.progress and total > PROGRESS_MIN_FILES and sys.stderr.isatty()
        self.total = total
        self._bar = None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return _nothing
        from .progress import Bar

        self._bar = Bar(self.total)
        return self._bar.advance

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()


def _nothing() -> None:
    return None


def process_target(
    target: Target, rules: Sequence[Transform], options: RunOptions, project: dict[str, Any]
) -> FileResult:
    data, error = _read(target, options)
    if data is None:
        return FileResult(path=target.path, error=error)
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


def run(paths: Iterable[str], options: RunOptions) -> Run:
    """Process every file under `paths`; raises registry.RegistryError for bad rule ids."""
    rules = registry.resolve(options.select, options.ignore, options.rule_options)
    targets = discover(list(paths))
    out = Run(options=options, rules=rules)
    out.fs_paths = {t.path: t.fs_path for t in targets}
    out.results = _execute(targets, options, rules, slim=True)
    return out


def run_sources(sources: Mapping[str, bytes], options: RunOptions) -> Run:
    """Like `run`, on in-memory files {display path: bytes} (tests, git blobs).

    Raises registry.RegistryError for bad rule ids."""
    rules = registry.resolve(options.select, options.ignore, options.rule_options)
    items = [(path, sources[path]) for path in sorted(sources)]
    out = Run(options=options, rules=rules)
    out.results = _execute(items, options, rules, slim=False)
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
