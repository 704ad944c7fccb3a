"""Many files: discovery, the optional project pass, per-file processing, writing.

Nothing here raises for a problem in one file: it becomes that file's `error`.

Files are processed serially or in a process pool (`RunOptions.jobs`); either way the
results come back in the same order and are identical. Each worker builds its own
transforms from (select, ignore, rule_options) once; only file names (or in-memory
sources), project facts and FileResults cross the process boundary, never a tree.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from . import cache as cache_mod
from . import globs, registry
from .engine import active_rules, collect_facts, process_source
from .files import Target, atomic_write, describe_os_error, discover, read_bytes
from .transform import Transform
from .types import FileResult, RunOptions

#: Below this many files a run stays serial: starting workers would cost more than it saves.
PARALLEL_MIN_FILES = 40
#: A progress bar appears only for runs of more than this many files.
PROGRESS_MIN_FILES = 300
#: New cache entries are written in transactions of this many.
WRITE_BATCH = 500

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


def default_cache_dir(paths: Sequence[str], config_dir: str | None = None) -> str:
    """`.otpfix_cache/` next to the config file (in `config_dir`), else in the first PATH
    (a directory) or beside it (a file)."""
    if config_dir:
        base = config_dir
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


# -- one worker (a pool process, or this process for serial runs) --------------------------


class _Keys:
    """Cache keys; the same computation in the main process (lookups) and in workers
    (the key of what they actually read)."""

    def __init__(
        self,
        base: str,
        project_rules: Sequence[Transform],
        project_digests: Mapping[str, str],
        options: RunOptions,
    ) -> None:
        self.base = base
        self.project_rules = project_rules
        self.project_digests = project_digests
        self.options = options

    def facts(self, path: str, data: bytes) -> str:
        return cache_mod.entry_key("facts", self.base, path, cache_mod.content_digest(data))

    def check(self, path: str, data: bytes, rules: Sequence[Transform]) -> str:
        extra = []
        if self.project_rules:
            # Project facts matter only for the project-aware rules that can run here.
            project_rules = [r for r in rules if r.uses_project()]
            for rule in active_rules(project_rules, path, data, self.options):
                extra.append(f"{rule.id}={self.project_digests.get(rule.id, '')}")
        return cache_mod.entry_key("check", self.base, path, cache_mod.content_digest(data), extra)


class _Worker:
    """Everything a process needs to handle files of one run; built once per process.

    Workers look entries up in the cache (read-only); their methods return (value, cache
    key, cache entry), key and entry None when there is nothing new to store, and the main
    process writes the new entries (as JSON text, serialised here, in parallel)."""

    def __init__(
        self,
        options: RunOptions,
        project: Mapping[str, Mapping[str, Any]] | Sequence[tuple[str, Any]],
        project_digests: Mapping[str, str],
        base_key: str | None,
        slim: bool,
    ) -> None:
        self.options = options
        self.rules = registry.resolve(options.select, options.ignore, options.rule_options)
        # The project facts: ready ({rule id: {path: facts}}), or per file as the project
        # pass left them ([(item, JSON text or facts)]), decoded only when a file must be
        # checked (a warm run decodes nothing).
        self._project = project if isinstance(project, Mapping) else None
        self._project_files = project if not isinstance(project, Mapping) else ()
        project_rules = [r for r in self.rules if r.uses_project()]
        self.keys: _Keys | None = None
        self.store: cache_mod.Store | None = None
        if base_key and options.cache_dir:
            self.keys = _Keys(base_key, project_rules, project_digests, options)
            self.store = cache_mod.Store(options.cache_dir)  # opened on first use, per process
        self.slim = slim

    @property
    def project(self) -> Mapping[str, Mapping[str, Any]]:
        if self._project is None:
            self._project = _decode_project(self._project_files, self._recollect)
        return self._project

    def _recollect(self, item: Item) -> dict[str, Any]:
        path, data, _error = _load(item, self.options)
        return collect_facts(path, data, self.rules, self.options) if data is not None else {}

    def collect(self, item: Item) -> tuple[tuple[dict[str, str] | None, Any], str | None, Any]:
        """((per-rule digests of this file's facts or None, the facts as JSON text or as
        objects), cache key, cache entry). On a hit nothing is decoded here."""
        path, data, _error = _load(item, self.options)
        if data is None:
            return (None, {}), None, None
        if self.keys is None or self.store is None:
            return (None, collect_facts(path, data, self.rules, self.options)), None, None
        key = self.keys.facts(path, data)
        hit = self._facts_hit(key)
        if hit is not None:
            return hit, None, None
        facts = collect_facts(path, data, self.rules, self.options)
        if self.options.fix:
            return (None, facts), None, None  # diff and fix write no cache entries
        try:
            digests = {rid: cache_mod.digest(value) for rid, value in facts.items()}
            text = cache_mod.to_json(cache_mod.encode(facts))
        except cache_mod.Unencodable:
            return (None, facts), None, None  # facts of this kind are recomputed every run
        # The facts themselves go back (the main process shares them with the checking
        # workers); their text only into the cache.
        return (digests, facts), key, cache_mod.to_json({"d": digests, "f": text})

    def _facts_hit(self, key: str) -> tuple[dict[str, str], str] | None:
        raw = self.store.get(key) if self.store is not None else None
        if isinstance(raw, dict) and isinstance(raw.get("d"), dict) and isinstance(raw.get("f"), str):
            return raw["d"], raw["f"]
        return None

    def lookup(self, method: str, item: Item) -> Any | None:
        """The cached value `method` would return for `item`, or None on a miss."""
        if self.keys is None or self.store is None:
            return None
        path, data, _error = _load(item, self.options)
        if data is None:
            return None
        if method == "collect":
            return self._facts_hit(self.keys.facts(path, data))
        raw = self.store.get(self.keys.check(path, data, self._rules_for(item)))
        return self._hit(path, raw, data) if raw is not None else None

    def process(self, item: Item) -> tuple[FileResult, str | None, Any]:
        path, data, error = _load(item, self.options)
        if data is None:
            return FileResult(path=path, error=error), None, None
        key = None
        rules = self._rules_for(item)
        if self.keys is not None and self.store is not None:
            key = self.keys.check(path, data, rules)
            raw = self.store.get(key)
            if raw is not None:
                hit = self._hit(path, raw, data)
                if hit is not None:
                    return hit, None, None
        result = process_source(path, data, rules, self.options, self.project)
        entry = None
        # Only scan writes entries: diff and fix read them but leave the disk as it was
        # (apart from the files fix rewrites).
        if key is not None and not self.options.fix:
            entry = cache_mod.to_json(cache_mod.dump_result(result))
        else:
            key = None
        return (_slim(result) if self.slim else result), key, entry

    def _rules_for(self, item: Item) -> Sequence[Transform]:
        return rules_for_path(item.fs_path if isinstance(item, Target) else item[0], self.rules, self.options)

    def _hit(self, path: str, raw: Any, data: bytes) -> FileResult | None:
        try:
            findings, error = cache_mod.load_entry(path, raw)
        except Exception:
            return None  # a corrupt entry is a miss
        # The entry holds the findings on the original bytes: all a scan needs. For
        # diff/fix it is the whole answer only when there is nothing to fix.
        if self.options.fix and (findings or error):
            return None
        keep = not self.slim or _needs_original(findings, data)
        return FileResult(
            path=path, findings=findings, original=data if keep else None, error=error, remaining=findings
        )

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _decode_project(
    files: Sequence[tuple[Item, Any]], recollect: Callable[[Item], dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """{rule id: {path: facts}} in file order, from [(item, facts or their JSON text)].
    Text that does not decode (a corrupt cache entry) is replaced by collecting again."""
    project: dict[str, dict[str, Any]] = {}
    for item, payload in files:
        if isinstance(payload, str):
            try:
                facts = cache_mod.loads(payload)
                if not isinstance(facts, dict):
                    raise ValueError("not a mapping")
            except Exception:
                facts = recollect(item) if recollect is not None else {}
        else:
            facts = payload
        for rule_id, value in facts.items():
            project.setdefault(rule_id, {})[_path_of(item)] = value
    return project


def _load(item: Item, options: RunOptions) -> tuple[str, bytes | None, str | None]:
    if isinstance(item, Target):
        data, error = _read(item, options)
        return item.path, data, error
    return item[0], item[1], None


def _path_of(item: Item) -> str:
    return item.path if isinstance(item, Target) else item[0]


def _needs_original(findings: Sequence[Any], data: bytes) -> bool:
    # A report may place a fix's edits (SARIF replacements, --interactive).
    return any(f.fix is not None for f in findings)


def _slim(result: FileResult) -> FileResult:
    """Drop `original` where nothing needs it (memory stays bounded on big runs)."""
    if result.original is None or result.fixed is not None:
        return result
    if _needs_original(result.findings, result.original):
        return result
    return replace(result, original=None)


_WORKER: _Worker | None = None


def _init_worker(*args: Any) -> None:
    global _WORKER
    _WORKER = _Worker(*args)


def _call(method: str, item: Item) -> Any:
    assert _WORKER is not None
    return getattr(_WORKER, method)(item)


def _mp_context():
    import multiprocessing

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
        try:
            for item in items:
                value = call(item)
                advance()
                yield value
        finally:
            worker.close()
        return
    # Imported here: serial runs (and warm ones, answered from the cache) never need them.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunksize = max(1, min(64, len(items) // (jobs * 16)))
    done = 0
    import gc

    gc.freeze()  # objects inherited by the workers stay shared: the collector won't touch them
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_mp_context(),
        initializer=_init_worker,
        initargs=worker_args,
    ) as pool:
        try:
            for value in pool.map(_call, repeat(method), items, chunksize=chunksize):
                done += 1
                advance()
                yield value
        except BrokenProcessPool:
            pass
    gc.unfreeze()
    for item in items[done:]:  # a worker died (a crash in the parser): report, go on
        advance()
        yield on_broken(item)


def _broken_result(item: Item) -> tuple[FileResult, None, None]:
    error = "an otpfix worker process crashed during this part of the run"
    return FileResult(path=_path_of(item), error=error), None, None


# -- runs ------------------------------------------------------------------------------------


def _phase(
    method: str,
    items: Sequence[Item],
    options: RunOptions,
    worker_args: tuple,
    on_broken: Callable[[Item], Any],
    advance: Callable[[], None],
) -> list[Any]:
    """One pass over the files. Cache hits are answered here, in this process (starting
    workers and sending results back would cost more than the lookups); the misses go to
    workers, serially or in a pool, and their new cache entries are written here."""
    values: list[Any] = [None] * len(items)
    todo = list(range(len(items)))
    base_key = worker_args[3]
    if options.cache_dir and base_key and cache_mod.Store.exists(options.cache_dir):
        local = _Worker(*worker_args)
        try:
            todo = []
            for i, item in enumerate(items):
                hit = local.lookup(method, item)
                if hit is None:
                    todo.append(i)
                else:
                    values[i] = hit
                    advance()
        finally:
            local.close()  # no connection stays open across the fork below
    work = [items[i] for i in todo]
    jobs = effective_jobs(options.jobs, len(work))
    project = worker_args[1]
    if work and method == "process" and not isinstance(project, Mapping):
        # Some files must be checked: decode the project facts once, here, so that the
        # workers share one copy (forked) instead of each decoding its own.
        recollect = _Worker(*worker_args)._recollect
        worker_args = (worker_args[0], _decode_project(project, recollect), *worker_args[2:])
    writes: list[tuple[str, str]] = []
    store = cache_mod.Store(options.cache_dir) if options.cache_dir else None
    try:
        outcomes = _map(method, work, jobs, worker_args, on_broken, advance)
        for n, (value, key, entry) in enumerate(outcomes):  # to the end: the pool shuts down
            values[todo[n]] = value
            if key is not None and store is not None:
                writes.append((key, entry))
                if len(writes) >= WRITE_BATCH:  # memory stays bounded: write as we go
                    store.put_many(writes, run_size=len(items))
                    writes = []
        if store is not None:
            store.put_many(writes, run_size=len(items))
    finally:
        if store is not None:
            store.close()  # only ever opened after the workers were forked
    return values


def _execute(items: Sequence[Item], options: RunOptions, rules: list[Transform], slim: bool) -> list[FileResult]:
    base = cache_mod.base_key(rules, options) if options.cache_dir else None
    uses_project = any(r.uses_project() for r in rules)
    with _progress(options, len(items) * (2 if uses_project else 1)) as advance:
        project: Any = {}
        digests: dict[str, str] = {}
        if uses_project:
            args = (options, {}, {}, base, slim)
            broken = lambda _i: ((None, {}), None, None)  # noqa: E731
            collected = _phase("collect", items, options, args, broken, advance)
            files = [(item, payload) for item, (_d, payload) in zip(items, collected)]
            if base is None:
                project = _decode_project(files)
            else:
                # What each project rule sees, as a digest of its per-file digests: a warm
                # run never decodes the facts unless some file has to be checked again.
                parts: dict[str, Any] = {}
                for (item, payload), (file_digests, _p) in zip(files, collected):
                    if file_digests is None:
                        file_digests = {rid: cache_mod.digest(v) for rid, v in payload.items()}
                    path = _path_of(item)
                    for rule_id, value in file_digests.items():
                        parts.setdefault(rule_id, hashlib.sha256()).update(f"{path}\0{value}\0".encode())
                digests = {rule_id: h.hexdigest() for rule_id, h in parts.items()}
                project = files
        args = (options, project, digests, base, slim)
        return _phase("process", items, options, args, _broken_result, advance)


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
    out = Run(options=options, rules=rules)
    out.fs_paths = {t.path: t.fs_path for t in targets}
    out.results = _execute(targets, options, rules, slim=True)
    return out


def run_sources(sources: Mapping[str, bytes], options: RunOptions) -> Run:
    """Like `run`, on in-memory files {display path: bytes} (tests, git blobs).

    Display paths are taken relative to the current directory for `per_path_ignore`
    (`exclude` is a discovery setting and does not apply). Raises
    registry.RegistryError for bad rule ids."""
    rules = _resolve(options)
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
