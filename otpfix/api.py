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
import re
import sys
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from . import cache as cache_mod
from . import globs, registry
from .engine import active_rules, checking_rules, collect_facts, process_source, wanted_next, wanted_of
from .files import Target, atomic_write, describe_os_error, discover, read_bytes
from .transform import Transform
from .types import FileResult, RunOptions

#: Below this many files a run stays serial: starting workers would cost more than it saves.
PARALLEL_MIN_FILES = 40
#: A progress bar appears only for runs of more than this many files.
PROGRESS_MIN_FILES = 300
#: New cache entries are written in transactions of this many.
WRITE_BATCH = 500
#: Cache lookups are made in batches of this many files (files held in memory meanwhile).
LOOKUP_BATCH = 500

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

    def wanted(self, path: str, data: bytes) -> str:
        return cache_mod.entry_key("wanted", self.base, path, cache_mod.content_digest(data))

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
        want: "re.Pattern[bytes] | None" = None,
    ) -> None:
        self.options = options
        #: In a collect round: the files to collect are those this pattern finds something
        #: in (None: every file).
        self.want = want
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

    def collect(self, item: Item) -> tuple[Any, str | None, Any]:
        """(value, cache key, cache entry). The value is False for a file this round does
        not want, else (per-rule digests of this file's facts or None, the facts as JSON
        text or as objects, {rule id: what the facts want next}). On a hit nothing is
        decoded here."""
        path, data, _error = _load(item, self.options)
        if data is None:
            return (None, {}, {}), None, None
        if self.want is not None and not self.want.search(data):
            return False, None, None
        if self.keys is None or self.store is None:
            facts = collect_facts(path, data, self.rules, self.options)
            return (None, facts, wanted_next(facts, self.rules)), None, None
        key = self.keys.facts(path, data)
        hit = self._facts_hit(key)
        if hit is not None:
            return hit, None, None
        facts = collect_facts(path, data, self.rules, self.options)
        nexts = wanted_next(facts, self.rules)
        if self.options.fix:
            return (None, facts, nexts), None, None  # diff and fix write no cache entries
        try:
            digests = {rid: cache_mod.digest(value) for rid, value in facts.items()}
            text = cache_mod.to_json(cache_mod.encode(facts))
        except cache_mod.Unencodable:
            return (None, facts, nexts), None, None  # facts of this kind are recomputed every run
        # The facts themselves go back (the main process shares them with the checking
        # workers); their text only into the cache.
        entry = {"d": digests, "f": text, "n": {rid: _needles_out(v) for rid, v in nexts.items()}}
        return (digests, facts, nexts), key, cache_mod.to_json(entry)

    def _facts_hit(self, key: str) -> tuple[dict[str, str], str, dict] | None:
        return _facts_entry(self.store.get(key) if self.store is not None else None)

    def first(self, item: Item) -> tuple[Any, str | None, Any]:
        """The first pass over every file: the FileResult of a file that no project-aware
        rule will check (parsed once, all its rules run), or, for one that such a rule will
        check, a `_Wants` (what its facts must come from; checked in the last pass)."""
        path, data, error = _load(item, self.options)
        if data is None:
            return FileResult(path=path, error=error), None, None
        rules = self._rules_for(item)
        deferred = checking_rules(path, data, rules, self.options)
        if not deferred:
            return self._process(path, data, rules)
        key = None
        if self.keys is not None and self.store is not None:
            key = self.keys.wanted(path, data)
            hit = self._wants_hit(key)
            if hit is not None:
                return hit, None, None
        wants = _Wants(wanted_of(path, data, deferred))
        if key is None or self.options.fix:
            return wants, None, None
        return wants, key, cache_mod.to_json({"w": {rid: _needles_out(v) for rid, v in wants.wants.items()}})

    def _wants_hit(self, key: str) -> "_Wants | None":
        return _wants_entry(self.store.get(key) if self.store is not None else None)

    def plan(self, method: str, item: Item) -> tuple | None:
        """How to answer `method` for `item` from the cache: ("value", v) when no lookup
        is needed, (kind, key, path, data) for a lookup, None for a miss."""
        if self.keys is None or self.store is None:
            return None
        path, data, _error = _load(item, self.options)
        if data is None:
            return None
        if method == "collect":
            if self.want is not None and not self.want.search(data):
                return ("value", False)
            return ("facts", self.keys.facts(path, data), path, data)
        rules = self._rules_for(item)
        if method == "first" and checking_rules(path, data, rules, self.options):
            return ("wants", self.keys.wanted(path, data), path, data)
        return ("check", self.keys.check(path, data, rules), path, data)

    def answer(self, plan: tuple | None, entries: Mapping[str, Any]) -> Any | None:
        """The cached value a `plan` leads to, given the stored {key: entry}; None: a miss."""
        if plan is None:
            return None
        if plan[0] == "value":
            return plan[1]
        kind, key, path, data = plan
        raw = entries.get(key)
        if raw is None:
            return None
        if kind == "facts":
            return _facts_entry(raw)
        if kind == "wants":
            return _wants_entry(raw)
        return self._hit(path, raw, data)

    def process(self, item: Item) -> tuple[FileResult, str | None, Any]:
        path, data, error = _load(item, self.options)
        if data is None:
            return FileResult(path=path, error=error), None, None
        return self._process(path, data, self._rules_for(item))

    def _process(self, path: str, data: bytes, rules: Sequence[Transform]) -> tuple[FileResult, str | None, Any]:
        key = None
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


def _facts_entry(raw: Any) -> tuple[dict[str, str], str, dict] | None:
    if isinstance(raw, dict) and isinstance(raw.get("d"), dict) and isinstance(raw.get("f"), str):
        nexts = _needles_in(raw.get("n"))
        if nexts is not None:
            return raw["d"], raw["f"], nexts
    return None


def _wants_entry(raw: Any) -> "_Wants | None":
    wants = _needles_in(raw.get("w")) if isinstance(raw, dict) else None
    return _Wants(wants) if wants is not None else None


class _Wants:
    """A file that a project-aware rule will check: {rule id: the byte strings its facts
    must come from (`Transform.wanted`), or None for any file}."""

    __slots__ = ("wants",)

    def __init__(self, wants: Mapping[str, tuple[bytes, ...] | None]) -> None:
        self.wants = dict(wants)


def _needles_out(needles: tuple[bytes, ...] | None) -> list[str] | None:
    return None if needles is None else [n.decode("latin-1") for n in needles]


def _needles_in(raw: Any) -> dict[str, tuple[bytes, ...] | None] | None:
    """The inverse of `_needles_out` over a {rule id: ...} mapping; None if malformed."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, tuple[bytes, ...] | None] = {}
    for rid, value in raw.items():
        if value is None:
            out[rid] = None
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            try:
                out[rid] = tuple(v.encode("latin-1") for v in value)
            except UnicodeEncodeError:
                return None
        else:
            return None
    return out


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
            for start in range(0, len(items), LOOKUP_BATCH):
                batch = range(start, min(start + LOOKUP_BATCH, len(items)))
                plans = [local.plan(method, items[i]) for i in batch]
                assert local.store is not None
                entries = local.store.get_many([p[1] for p in plans if p is not None and p[0] != "value"])
                for i, plan in zip(batch, plans):
                    hit = local.answer(plan, entries)
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
    """Every file's FileResult, in order.

    Without project-aware rules: one pass. With them, three steps, each file parsed once
    unless a project-aware rule checks it:
      1. "first": every file; a file no project-aware rule will check is processed right
         away (its final result); a file one will check says which files its facts must
         come from (`Transform.wanted`).
      2. "collect", in rounds: `collect` on the files some checked file wants, then on
         those the collected facts want next (`Transform.wanted_next`), until nothing new.
      3. "process": the files of step 1 that wait for facts, now checked with them.
    """
    base = cache_mod.base_key(rules, options) if options.cache_dir else None
    with _progress(options, len(items)) as bar:
        if not any(r.uses_project() for r in rules):
            args = (options, {}, {}, base, slim)
            return _phase("process", items, options, args, _broken_result, bar.advance)
        args = (options, {}, {}, base, slim)
        results: list[Any] = _phase("first", items, options, args, _broken_result, bar.advance)
        waiting = [i for i, value in enumerate(results) if isinstance(value, _Wants)]
        if not waiting:
            return results
        wants = [results[i] for i in waiting]
        files, digests = _collect_wanted(items, wants, options, base, slim, bar)
        bar.grow(len(waiting))
        args = (options, files if base is not None else _decode_project(files), digests, base, slim)
        checked = _phase("process", [items[i] for i in waiting], options, args, _broken_result, bar.advance)
        for i, result in zip(waiting, checked):
            results[i] = result
        return results


def _needle_pattern(needles: Iterable[bytes]) -> "re.Pattern[bytes]":
    return re.compile(b"|".join(re.escape(n) for n in sorted(set(needles))))


def _collect_wanted(
    items: Sequence[Item], wants: Sequence[_Wants], options: RunOptions, base: str | None, slim: bool, bar: Any
) -> tuple[list[tuple[Item, Any]], dict[str, str]]:
    """Step 2 of `_execute`: ([(item, facts or their JSON text)] in file order, for every
    file collected; {rule id: digest of the facts it sees} when caching)."""
    every = False
    new: set[bytes] = set()
    for w in wants:
        for needles in w.wants.values():
            if needles is None:
                every = True
            else:
                new.update(needles)
    collected: dict[int, tuple[Any, Any]] = {}
    searched: set[bytes] = set()
    broken = lambda _i: ((None, {}, {}), None, None)  # noqa: E731
    while every or new:
        todo = [i for i in range(len(items)) if i not in collected]
        if not todo:
            break
        # Every file at once (some rule wants any file), else those with a new needle.
        pattern = None if every else _needle_pattern(new)
        searched |= new
        bar.grow(len(todo))
        args = (options, {}, {}, base, slim, pattern)
        values = _phase("collect", [items[i] for i in todo], options, args, broken, bar.advance)
        was_every, every, more = every, False, set()
        for i, value in zip(todo, values):
            if value is False:
                continue
            file_digests, payload, nexts = value
            collected[i] = (file_digests, payload)
            for needles in nexts.values():
                if needles is None:
                    every = True
                else:
                    more.update(needles)
        if was_every:
            break  # every file is collected
        new = more - searched
    files = [(items[i], collected[i][1]) for i in sorted(collected)]
    digests: dict[str, str] = {}
    if base is not None:
        # What each project rule sees, as a digest of its per-file digests: a warm run
        # never decodes the facts unless some file has to be checked again.
        parts: dict[str, Any] = {}
        for i in sorted(collected):
            file_digests, payload = collected[i]
            if file_digests is None:
                file_digests = {rid: cache_mod.digest(v) for rid, v in payload.items()}
            path = _path_of(items[i])
            for rule_id, value in file_digests.items():
                parts.setdefault(rule_id, hashlib.sha256()).update(f"{path}\0{value}\0".encode())
        digests = {rule_id: h.hexdigest() for rule_id, h in parts.items()}
    return files, digests


class _progress:
    """A rich progress bar on stderr, only on a terminal and for large runs."""

    def __init__(self, options: RunOptions, total: int) -> None:
        self.enabled = options.progress and total > PROGRESS_MIN_FILES and sys.stderr.isatty()
        self.total = total
        self._bar = None

    def __enter__(self) -> "_progress":
        if self.enabled:
            from .progress import Bar

            self._bar = Bar(self.total)
        return self

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance()

    def grow(self, more: int) -> None:
        """More steps than announced (the later passes of a project-aware run)."""
        if self._bar is not None:
            self._bar.grow(more)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()


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
