"""Many files: discovery, the optional project pass, per-file processing, writing.

Nothing here raises for a problem in one file: it becomes that file's `error`.

Files are processed serially or in a process pool (`RunOptions.jobs`); either way the
results come back in the same order and are identical. Each worker builds its own
transforms from (select, ignore, rule_options) once; only file names (or in-memory
sources), project facts and FileResults cross the process boundary, never a tree.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from . import cache as cache_mod
from . import globs, registry
from .engine import (
    InputError,
    active_rules,
    check_input,
    checking_rules,
    collect_facts,
    first_pass,
    follow,
    key_base,
    process_source,
    provided_by,
)
from .syntax import Source
from .files import Target, atomic_write, check_stat, describe_os_error, discover, read_bytes_stat
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


def _load(item: Item, options: RunOptions) -> tuple[str, bytes | None, str | None, tuple | None]:
    """(display path, bytes or None, error, stat of a file on disk or None). The stat is
    (fs path, signature, when it was taken (ns)): taken before reading, so that a digest
    recorded with it can only be too old, never too new (see cache.trusted_digest)."""
    if isinstance(item, Target):
        if item.error:
            return item.path, None, item.error, None
        when = time.time_ns()
        try:
            data, st = read_bytes_stat(item.fs_path, options.max_file_size)
        except OSError as exc:
            return item.path, None, describe_os_error(exc), None
        return item.path, data, None, (item.fs_path, cache_mod.stat_signature(st), when)
    return item[0], item[1], None, None


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

    def __init__(self, base: str, project_digests: Mapping[str, str]) -> None:
        self.base = base
        self.project_digests = project_digests

    def first(self, path: str, digest: str) -> str:
        """The first pass's answer: a FileResult, or what the file wants (`_Wants`)."""
        return cache_mod.entry_key("first", self.base, path, digest)

    def provides(self, path: str, digest: str) -> str:
        """A file's `provides` keys (apart from `first`: a warm run that replays the
        collect rounds never reads them)."""
        return cache_mod.entry_key("provides", self.base, path, digest)

    def facts(self, path: str, digest: str, rule_id: str) -> str:
        return cache_mod.entry_key("facts", self.base, path, digest, [rule_id])

    def check(self, path: str, digest: str, project_rule_ids: Iterable[str]) -> str:
        # Project facts matter only for the project-aware rules that check this file.
        extra = [f"{rid}={self.project_digests.get(rid, '')}" for rid in sorted(project_rule_ids)]
        return cache_mod.entry_key("check", self.base, path, digest, extra)

class _Signatures:
    """Content digests of the run's files, known in the main process: recorded by the
    workers that read them, or looked up in the cache's stat table (a file whose stat is
    unchanged is not read again), or computed from the bytes. Also the cache writes the
    run holds (`hold`, `write`)."""

    def __init__(self, store: "cache_mod.Store | None", options: RunOptions, run_size: int = 0) -> None:
        self.store = store
        self.options = options
        self.run_size = run_size
        self.known: dict[str, str] = {}  # fs path -> digest
        self.new: list[tuple[str, str, int, str]] = []  # stat rows to record
        self.entries: list[tuple[str, str]] = []  # cache entries to write
        self._rows: dict[str, tuple[str, int, str]] = {}

    def record(self, row: tuple[str, str, int, str] | None) -> None:
        if row is not None:
            self.known[row[0]] = row[3]
            self.new.append(row)

    def prefetch(self, items: Iterable[Item]) -> None:
        if self.store is None:
            return
        paths = [i.fs_path for i in items if isinstance(i, Target) and not i.error and i.fs_path not in self.known]
        if paths:
            self._rows.update(self.store.get_stats(paths))

    def digest(self, item: Item) -> tuple[str | None, bytes | None]:
        """(digest, bytes if they had to be read) or (None, None) if the file cannot be read."""
        if not isinstance(item, Target):
            return cache_mod.content_digest(item[1]), item[1]
        if item.error:
            return None, None
        known = self.known.get(item.fs_path)
        if known is not None:
            return known, None
        try:
            st = check_stat(item.fs_path, self.options.max_file_size)
        except OSError:
            return None, None
        trusted = cache_mod.trusted_digest(st, self._rows.get(item.fs_path))
        if trusted is not None:
            self.known[item.fs_path] = trusted
            return trusted, None
        _path, data, _error, meta = _load(item, self.options)
        if data is None or meta is None:
            return None, None
        digest = cache_mod.content_digest(data)
        self.record((*meta, digest))
        return digest, data

    def known_digest(self, item: Item) -> str:
        """The digest if known, else "" (a file that could not be read)."""
        if isinstance(item, Target):
            return self.known.get(item.fs_path, "")
        return cache_mod.content_digest(item[1])

    def hold(self, key: str | list[str], entry: Any) -> None:
        """A new cache entry (or, for a file finished and collected at once, several)."""
        if isinstance(key, list):
            self.entries.extend(zip(key, entry))
        else:
            self.entries.append((key, entry))

    def write(self, everything: bool = True) -> None:
        """Write the held entries and stat rows (not `everything`: only once there are a
        transaction's worth, which bounds the memory they take).

        Passes hold their writes and write them while the workers of a long pass are busy:
        written at the end of each pass, they kept the workers idle between the collect
        rounds (a transaction, and a checkpoint with a file sync when the connection was
        closed)."""
        if self.store is None:
            self.entries, self.new = [], []
            return
        if not everything and len(self.entries) < WRITE_BATCH and len(self.new) < 4 * WRITE_BATCH:
            return
        stats = self.new if not self.options.fix else ()
        self.store.put(self.entries, stats, run_size=self.run_size)
        self.entries, self.new = [], []


#: What a worker method returns: (value, cache key, cache entry as JSON text, stat row).
#: Key and entry are None when there is nothing to store; the stat row (fs path, stat
#: signature, when, content digest) is None unless caching and the file was read from disk.
Outcome = tuple[Any, str | None, str | None, tuple | None]


#: Source bytes of the parsed files a process keeps for a later pass (`_Trees`). A tree
#: takes about 25 bytes of memory per byte of source: about 40 MB per process.
TREE_BUDGET = 1_500_000


class _Trees:
    """Parsed files (`Source`s) that a process keeps for a later pass of the same run,
    which would otherwise parse them again: a file that waits for facts (parsed in the
    first pass to learn what it wants, checked in the last), or one finished in the first
    pass whose facts a collect round may want. Bounded: at most `budget` bytes of source
    (a file that waits may push out files that may be collected, the oldest first; beyond
    that a file is not kept, and the later pass parses it). A kept parse is used only for
    the very same bytes (the file is read again; a change since means a new parse), and the
    rules' memos on it (`memo_of`, `module_memo`) are built for exactly this sharing: the
    check of a file reuses what its `wanted` computed, the facts computed for one rule are
    shared with another."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = TREE_BUDGET if budget is None else budget
        self.size = 0
        self._held: dict[str, tuple[Source, bool]] = {}  # {path: (parse, waits for facts)}

    def __contains__(self, path: str) -> bool:
        return path in self._held

    def keep(self, path: str, source: Source, waiting: bool) -> bool:
        self.drop(path)
        n = len(source.data)
        if n > self.budget:
            return False
        if self.size + n > self.budget and waiting:
            for other in [p for p, (_s, w) in self._held.items() if not w]:
                if self.size + n <= self.budget:
                    break
                self.drop(other)
        if self.size + n > self.budget:
            return False
        self._held[path] = (source, waiting)
        self.size += n
        return True

    def take(self, path: str, data: bytes, last: bool) -> Source | None:
        """The kept parse of these bytes, or None. It stays kept for the last pass if the
        file waits for facts, unless this is the last pass (`last`)."""
        entry = self._held.get(path)
        if entry is None:
            return None
        source, waiting = entry
        if last or not waiting or source.data != data:
            self.drop(path)
        return source if source.data == data else None

    def drop(self, path: str) -> None:
        entry = self._held.pop(path, None)
        if entry is not None:
            self.size -= len(entry[0].data)

    def only_waiting(self) -> None:
        """The collect rounds are over: drop the files kept for them."""
        for path in [p for p, (_s, w) in self._held.items() if not w]:
            self.drop(path)


class _Worker:
    """Everything a process needs to handle files of one run; built once per process.

    Workers never read the cache (the main process answered every hit before starting
    them); they return what they computed and the entries to store, serialised here, in
    parallel, and the main process writes them."""

    def __init__(
        self,
        options: RunOptions,
        project: Mapping[str, Mapping[str, Any]] | Sequence[tuple[str, Any]],
        project_digests: Mapping[str, str],
        base_key: str | None,
        slim: bool,
        collect_rule: str = "",
    ) -> None:
        self.options = options
        #: The project-aware rules whose facts `collect` collects, "a,b" ("": every one).
        self.collect_rule = collect_rule
        self.rules = registry.resolve(options.select, options.ignore, options.rule_options)
        self.has_project_rules = any(r.uses_project() for r in self.rules)
        # The project facts: ready ({rule id: {path: facts}}), or per file as the project
        # pass left them ([(item, JSON text or facts)]), decoded only when a file must be
        # checked (a warm run decodes nothing).
        self._project = project if isinstance(project, Mapping) else None
        self._project_files = project if not isinstance(project, Mapping) else ()
        self.keys: _Keys | None = None
        if base_key and options.cache_dir:
            self.keys = _Keys(base_key, project_digests)
        self.slim = slim
        #: Set on the main process's worker that answers from the cache.
        self.store: cache_mod.Store | None = None
        self.signatures: _Signatures | None = None
        #: {path: ids of the project-aware rules that check it}, known from the first pass.
        self.checking: Mapping[str, Sequence[str]] | None = None
        #: Files this process parsed and a later pass will parse again (`_Trees`).
        self.trees: _Trees | None = None

    @property
    def project(self) -> Mapping[str, Mapping[str, Any]]:
        if self._project is None:
            self._project = _decode_project(self._project_files, self._recollect)
        return self._project

    def _recollect(self, item: Item) -> dict[str, Any]:
        path, data, _error, _meta = _load(item, self.options)
        return collect_facts(path, data, self.rules, self.options) if data is not None else {}

    def _stored(self, data: bytes, meta: tuple | None) -> tuple[str | None, tuple | None]:
        """(content digest, stat row) when caching, else (None, None)."""
        if self.keys is None:
            return None, None
        digest = cache_mod.content_digest(data)
        return digest, ((*meta, digest) if meta is not None else None)

    def _entry(self, key: str | None, text: Any) -> tuple[str | None, str | None]:
        # Only scan writes entries: diff and fix read them but leave the disk as it was
        # (apart from the files fix rewrites).
        if key is None or self.options.fix:
            return None, None
        return key, text() if callable(text) else text

    def _first_entries(
        self, path: str, digest: str | None, text: Callable[[], str], provides: Mapping[str, Any]
    ) -> tuple[list[str] | None, list[str] | None]:
        """The cache entries of a first-pass answer: the answer (`text`) and, apart, the
        file's `provides` keys."""
        if self.keys is None or digest is None:
            return None, None
        key, value = self._entry(self.keys.first(path, digest), text)
        if key is None:
            return None, None
        pkey, pvalue = self._entry(
            self.keys.provides(path, digest), lambda: cache_mod.to_json({"p": _provides_out(provides)})
        )
        return [key, pkey], [value, pvalue]  # type: ignore[list-item]

    # -- the three passes (see `_execute`) ---------------------------------------------

    def first(self, item: Item) -> Outcome:
        """A `_First`: the FileResult of a file that no project-aware rule will check
        (parsed once, all its rules run), or, for one that such a rule will check, a
        `_Wants` (what facts it reads; it is checked in the last pass); and the keys its
        own facts would have (`Transform.provides`)."""
        path, data, error, meta = _load(item, self.options)
        if data is None:
            return _First(FileResult(path=path, error=error), {}), None, None, None
        digest, row = self._stored(data, meta)
        rules = self._rules_for(item)
        try:
            check_input(data, self.options)
        except InputError:
            active = None  # process_source reports it
            provides = {}  # (what provided_by gives such a file)
        else:
            provides = provided_by(path, data, self.rules, self.options, True)
            active = active_rules(rules, path, data, self.options)
        if active is not None and not active:
            # No rule can match (most files): what process_source returns, without
            # checking the input and the pre-filters again.
            result = FileResult(path=path, original=data)
            text = lambda: cache_mod.result_json(result)  # noqa: E731
            value = FileResult(path=path) if self.slim else result  # (`_slim` of it)
            return _First(value, provides), *self._first_entries(path, digest, text, provides), row
        # (`checking_rules`, from the pre-filters above)
        deferred = [r for r in active if r.uses_project()] if active is not None else []
        if not deferred and provides and active:
            # A file to parse whose facts a collect round may want: it is finished in the
            # first round instead, one parse for both (`_Later`).
            return _First(_LATER, provides), None, None, row
        source = None
        if deferred and self.trees is not None:
            try:
                source = Source(data, path)
            except Exception:
                source = None  # first_pass fails the same way on its own
        answer = first_pass(path, data, rules, self.options, deferred, source) if deferred else None
        if source is not None:
            # Checked in the last pass (it waits for facts), or finished now but a collect
            # round may want its facts: the parse is kept for them, if there is room.
            assert self.trees is not None
            if isinstance(answer, dict) or provides:
                self.trees.keep(path, source, waiting=isinstance(answer, dict))
        if isinstance(answer, dict):
            wants = _Wants(answer)
            text = lambda: cache_mod.to_json({"w": wants.dump()})  # noqa: E731
            return (_First(wants, provides), *self._first_entries(path, digest, text, provides), row)
        result = answer if answer is not None else process_source(path, data, rules, self.options, {})
        text = lambda: cache_mod.result_json(result)  # noqa: E731
        value = _slim(result) if self.slim else result
        return _First(value, provides), *self._first_entries(path, digest, text, provides), row

    def collect(self, entry: "Item | _ToCollect") -> Outcome:
        """(per-rule digests of this file's facts or None, the facts). For a `_ToCollect`
        of a file the first pass left for later (`finish`): a `_Finished` of its first-pass
        value and those facts (none when it has no rules), from one parse."""
        item, collect_rule = (entry.item, entry.rules) if isinstance(entry, _ToCollect) else (entry, self.collect_rule)
        path, data, error, meta = _load(item, self.options)
        finish = isinstance(entry, _ToCollect) and entry.finish
        if data is None:
            if finish:
                return _Finished(FileResult(path=path, error=error), (None, {})), None, None, None
            return (None, {}), None, None, None
        digest, row = self._stored(data, meta)
        source = None
        first_keys: list[str] = []
        first_texts: list[str] = []
        if finish:
            try:
                source = Source(data, path)
            except Exception:
                source = None  # process_source and collect_facts fail the same way on their own
            rules_here = self._rules_for(item)
            if checking_rules(path, data, rules_here, self.options):
                # The first pass read bytes that no project-aware rule checks; these are
                # not those: the file changed during the run. Checked without the facts
                # it now needs, its answer would be wrong (and cached): it is left alone.
                first_value = FileResult(path=path, error=CHANGED_DURING_RUN)
            else:
                result = process_source(path, data, rules_here, self.options, {}, source)
                provides = provided_by(path, data, self.rules, self.options)
                text = lambda: cache_mod.result_json(result)  # noqa: E731
                stored_keys, stored_texts = self._first_entries(path, digest, text, provides)
                first_keys, first_texts = stored_keys or [], stored_texts or []
                first_value = _slim(result) if self.slim else result
            if not collect_rule:
                return _Finished(first_value, (None, {})), (first_keys or None), first_texts, row
        collected = self._collect(path, data, digest, collect_rule, source)
        if not finish:
            return (*collected, row)
        value, key, text = collected
        keys = first_keys + ([key] if key is not None else [])
        texts = first_texts + ([text] if key is not None else [])  # type: ignore[list-item]
        return _Finished(first_value, value), (keys or None), texts, row

    def _collect(
        self, path: str, data: bytes, digest: str | None, collect_rule: str, source: Source | None
    ) -> tuple[Any, str | None, str | None]:
        wanted = set(collect_rule.split(",")) if collect_rule else None
        rules = [r for r in self.rules if wanted is None or r.id in wanted]
        if source is None and self.trees is not None:
            source = self.trees.take(path, data, last=False)
        facts = collect_facts(path, data, rules, self.options, source)
        if digest is None or self.keys is None or self.options.fix:
            return (None, facts), None, None
        try:
            digests, text = cache_mod.encode_facts(facts)
        except (cache_mod.Unencodable, RecursionError):
            return (None, facts), None, None  # facts of this kind are recomputed every run
        # The facts themselves go back (the main process shares them with the checking
        # workers); their text only into the cache.
        key = self.keys.facts(path, digest, collect_rule)
        return (digests, facts), key, cache_mod.to_json({"d": digests, "f": text})

    def process(self, item: "Item | _ToCollect") -> Outcome:
        if isinstance(item, _ToCollect):
            return self.collect(item)  # a file left for later, finished in the last pass
        path, data, error, meta = _load(item, self.options)
        if data is None:
            return FileResult(path=path, error=error), None, None, None
        digest, row = self._stored(data, meta)
        rules = self._rules_for(item)
        source = self.trees.take(path, data, last=True) if self.trees is not None else None
        result = process_source(path, data, rules, self.options, self.project, source)
        key = None
        if self.keys is not None and digest is not None:
            ids = [r.id for r in checking_rules(path, data, rules, self.options)]
            key = self.keys.check(path, digest, ids)
        entry = self._entry(key, lambda: cache_mod.result_json(result))
        return (_slim(result) if self.slim else result), *entry, row

    # -- answers from the cache (main process) ------------------------------------------

    def plan(self, method: str, item: "Item | _ToCollect") -> tuple | None:
        """How to answer `method` for `item` from the cache: (kind, key, item, digest,
        bytes or None) for a lookup, None for a miss.
        A file whose stat matches the cache's record is not read."""
        if self.keys is None or self.signatures is None:
            return None
        collect_rule = self.collect_rule
        if isinstance(item, _ToCollect):
            if item.finish:
                return None  # left for later by a first pass that missed the cache
            item, collect_rule = item.item, item.rules
        path = _path_of(item)
        digest, data = self.signatures.digest(item)
        if digest is None:
            return None
        if method == "collect":
            return ("facts", self.keys.facts(path, digest, collect_rule), item, digest, data)
        if method == "first":
            return ("first", self.keys.first(path, digest), item, digest, data)
        ids: Sequence[str] = []
        if self.checking is not None and path in self.checking:
            ids = self.checking[path]  # from the first pass: no need to read the file
        elif self.has_project_rules:
            data = data if data is not None else self._bytes(item, digest)
            if data is None:
                return None
            ids = [r.id for r in checking_rules(path, data, self._rules_for(item), self.options)]
        return ("check", self.keys.check(path, digest, ids), item, digest, data)

    def answer(self, plan: tuple | None, entries: Mapping[str, Any]) -> Any | None:
        """The cached value a `plan` leads to, given the stored {key: entry}; None: a miss."""
        if plan is None:
            return None
        if plan[0] == "value":
            return plan[1]
        kind, key, item, digest, data = plan
        raw = entries.get(key)
        if raw is None:
            return None
        if kind == "facts":
            return _facts_entry(raw)
        if kind == "first":
            if not isinstance(raw, dict):
                return None
            value = _wants_entry(raw) if "w" in raw else self._hit(item, digest, raw, data)
            # The provided keys are read only if the collect rounds need them (a warm run
            # whose collected files are known from the cache never does): `_fill_provides`.
            return _First(value, None) if value is not None else None
        return self._hit(item, digest, raw, data)

    def _bytes(self, item: Item, digest: str) -> bytes | None:
        """The file's bytes, if they still have this digest."""
        _path, data, _error, _meta = _load(item, self.options)
        if data is None or cache_mod.content_digest(data) != digest:
            return None
        return data

    def _hit(self, item: Item, digest: str, raw: Any, data: bytes | None) -> FileResult | None:
        path = _path_of(item)
        try:
            findings, error = cache_mod.load_entry(path, raw)
        except Exception:
            return None  # a corrupt entry is a miss
        # The entry holds the findings on the original bytes: all a scan needs. For
        # diff/fix it is the whole answer only when there is nothing to fix.
        if self.options.fix and (findings or error):
            return None
        keep = not self.slim or _needs_original(findings)
        if keep and data is None:
            data = self._bytes(item, digest)
            if data is None:
                return None  # changed since: a miss
        return FileResult(
            path=path, findings=findings, original=data if keep else None, error=error, remaining=findings
        )

    def _rules_for(self, item: Item) -> Sequence[Transform]:
        return rules_for_path(item.fs_path if isinstance(item, Target) else item[0], self.rules, self.options)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _facts_entry(raw: Any) -> tuple[dict[str, str], str] | None:
    if isinstance(raw, dict) and isinstance(raw.get("d"), dict) and isinstance(raw.get("f"), str):
        return raw["d"], raw["f"]
    return None


def _wants_entry(raw: Any) -> "_Wants | None":
    wants = _keys_in(raw.get("w")) if isinstance(raw, dict) else None
    return _Wants(wants) if wants is not None else None


class _ToCollect:
    """A file of a collect pass, with the project-aware rules ("a,b") to collect for;
    `finish`: a file the first pass left for later (`_Later`), also finished here."""

    __slots__ = ("item", "rules", "finish")

    def __init__(self, item: Item, rules: str, finish: bool = False) -> None:
        self.item = item
        self.rules = rules
        self.finish = finish


class _Later:
    """The first pass's value for a file that it would parse (for rules that are not
    project-aware) and whose facts a collect round may want: the round that collects it
    finishes it from the same parse; otherwise a short round (as filler) or the last
    pass does."""

    __slots__ = ()


_LATER = _Later()


class _Finished:
    """A collect pass's value for a `_ToCollect` with `finish`: the file's first-pass
    value (its FileResult) and what `collect` gives (per-rule digests or None, facts)."""

    __slots__ = ("first", "collected")

    def __init__(self, first: Any, collected: tuple[Any, Any]) -> None:
        self.first = first
        self.collected = collected


class _Wants:
    """A file that a project-aware rule will check: {rule id: the byte strings its facts
    must come from (`Transform.wanted`), or None for any file}."""

    __slots__ = ("wants",)

    def __init__(self, wants: Mapping[str, tuple[bytes, ...] | None]) -> None:
        self.wants = dict(wants)

    def dump(self) -> dict[str, list[str] | None]:
        return _keys_out(self.wants)


class _First:
    """What the first pass says of a file: its FileResult or its `_Wants`, and the keys
    its facts would have ({rule id: keys or None}, `Transform.provides`)."""

    __slots__ = ("value", "provides")

    def __init__(self, value: Any, provides: Mapping[str, Any] | None) -> None:
        self.value = value
        #: {rule id: keys or None}, or as stored in the cache (`_provides_out`'s form), or
        #: None for an answer from the cache (see `_fill_provides`).
        self.provides = provides

    def keys(self) -> Mapping[str, tuple[bytes, ...] | None]:
        """The provided keys; stored ones that do not decode count as "any key" for every
        rule they name (never a wrong skip)."""
        assert self.provides is not None, "see _fill_provides"
        if all(v is None or isinstance(v, tuple) for v in self.provides.values()):
            return self.provides
        decoded = _keys_in(self.provides)
        return decoded if decoded is not None else {rid: None for rid in self.provides}


def _keys_out(keys: Mapping[str, tuple[bytes, ...] | None]) -> dict[str, list[str] | None]:
    return {rid: None if v is None else [k.decode("latin-1") for k in v] for rid, v in keys.items()}


def _provides_out(keys: Mapping[str, tuple[bytes, ...] | None]) -> dict[str, list[str] | str | None]:
    """`_keys_out` for a file's provided keys, where rules often give the very same keys
    (the rescue rules: every function of the file): a rule whose keys are those of an
    earlier one is stored as that rule's id (the keys once, half the text)."""
    out: dict[str, list[str] | str | None] = {}
    first: dict[int, str] = {}  # {id of a keys tuple: the first rule that gave it}
    for rid, v in keys.items():
        if v is None:
            out[rid] = None
        elif id(v) in first:
            out[rid] = first[id(v)]
        else:
            first[id(v)] = rid
            out[rid] = [k.decode("latin-1") for k in v]
    return out


def _keys_in(raw: Any) -> dict[str, tuple[bytes, ...] | None] | None:
    """The inverse of `_keys_out` and `_provides_out`; None if malformed."""
    if not isinstance(raw, dict):
        return None
    out: dict[str, tuple[bytes, ...] | None] = {}
    same: dict[str, str] = {}
    for rid, value in raw.items():
        if value is None:
            out[rid] = None
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            try:
                out[rid] = tuple(v.encode("latin-1") for v in value)
            except UnicodeEncodeError:
                return None
        elif isinstance(value, str) and isinstance(raw.get(value), list):
            same[rid] = value
        else:
            return None
    for rid, other in same.items():
        out[rid] = out[other]
    return {rid: out[rid] for rid in raw}  # (in the stored order)


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


def _path_of(item: Item) -> str:
    return item.path if isinstance(item, Target) else item[0]


def _needs_original(findings: Sequence[Any]) -> bool:
    # A report may place a fix's edits (SARIF replacements, --interactive).
    return any(f.fix is not None for f in findings)


def _slim(result: FileResult) -> FileResult:
    """Drop `original` where nothing needs it (memory stays bounded on big runs)."""
    if result.original is None or result.fixed is not None:
        return result
    if _needs_original(result.findings):
        return result
    return replace(result, original=None)


def _worker_loop(conn: Any, worker_args: tuple, others: Sequence[Any]) -> None:
    """A pool process: build a `_Worker`, then answer the pool's messages until told to
    stop (None) or the pool is gone (end of file). Messages: ("run", method, [item]) ->
    ("done", [outcome], [held]): `held[n]` says if this process kept the parse of item n
    (`_Trees`); ("args", worker_args): a new `_Worker` for the next passes (the last pass's
    project facts), keeping the parses of the files that wait for them."""
    for other in others:
        other.close()  # the pool's ends of the pipes (inherited when forked)
    _unblock_interrupts()  # forked while the parent held them back
    tune_gc()  # (inherited when forked; not when spawned)
    trees = _Trees()
    worker = _Worker(*worker_args)
    worker.trees = trees
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        try:
            if message[0] == "args":
                trees.only_waiting()
                worker.close()
                worker = _Worker(*message[1])
                worker.trees = trees
                continue
            _kind, method, items = message
            call = getattr(worker, method)
            values = [call(item) for item in items]
            reply: tuple = ("done", values, [_path_of(_plain_item(item)) in trees for item in items])
        except BaseException as exc:  # sent to the pool, which raises it (as a pool's map does)
            reply = ("error", exc)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # a value that does not pickle
            conn.send(("error", RuntimeError(f"an otpfix worker could not send its results: {exc!r}")))


def _plain_item(entry: Any) -> Item:
    return entry.item if isinstance(entry, _ToCollect) else entry


#: Cyclic garbage collector thresholds for otpfix's own processes (the default is
#: (700, 10, 10)). A run frees almost everything by reference counting: on the 5,531
#: files of docs/scale.md the collector's passes found about 2,000 objects in cycles in
#: all, and cost about 0.2 s of CPU (2-3 % of a cold scan). At 50,000 new objects per
#: young collection they are rare, and the garbage cycles that wait are bounded.
GC_THRESHOLD = (50_000, 10, 10)


def tune_gc() -> None:
    """Set GC_THRESHOLD in this process (the command line's process and the workers; not
    done by `run` itself, which leaves a library caller's collector alone)."""
    import gc

    gc.set_threshold(*GC_THRESHOLD)


def _unblock_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it stops the pool); the rest as usual."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM/SIGHUP end a worker (the parent's handlers, inherited, would raise inside
    # the task, whose exception the pool sends back: the worker would live on).
    for name in _INTERRUPTS[1:]:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {getattr(signal, n) for n in _INTERRUPTS if hasattr(signal, n)})


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
    trees: "_Trees | None" = None,
) -> Iterator[Any]:
    """`_Worker.<method>(item)` for every item, in order, serially (keeping parses for
    later passes in `trees`) or in a pool of its own."""
    if jobs <= 1:
        worker = _Worker(*worker_args)
        worker.trees = trees
        call = getattr(worker, method)
        try:
            for item in items:
                value = call(item)
                advance()
                yield value
        finally:
            worker.close()
        return
    pool = _Pool(jobs, worker_args)
    try:
        yield from pool.map(method, items, on_broken, advance)
    except BaseException:
        pool.close(abandon=True)
        raise
    pool.close()


class _Pool:
    """`jobs` worker processes (`_worker_loop`), each building a `_Worker(*worker_args)`
    once, started on the first `map` and kept until `close`: every pass of a run shares
    them (a small collect round runs in parallel without starting workers again; the last
    pass sends them its project facts, `configure`).

    The pool hands out chunks of files itself, two at a time per worker (one at a time
    when a chunk is large, so that neither side can block the other on a full pipe), and
    remembers which worker kept the parse of which file (`_Trees`): a later pass sends
    that file to the same worker, which does not parse it again. A worker with nothing of
    its own left takes the others' files (a parse again, rather than an idle core).

    A worker that dies (a crash in a C extension) costs the files it held: they get
    `on_broken`; the others finish the pass, and the next `map` starts a new pool.

    An interrupt (SIGINT; SIGTERM/SIGHUP, turned into `Terminated`) is held back for the
    whole life of the pool and delivered between two results (or when a map starts), in
    `map`'s frame, which then stops the workers (`close(abandon=True)`)."""

    #: A chunk whose pickle is larger than this is sent only to a worker with nothing in
    #: hand (a pipe holds at least this much).
    SMALL_MESSAGE = 32 * 1024
    #: A worker with nothing of its own left takes the files kept by others (tests turn
    #: it off to see every kept parse used).
    STEAL = True

    def __init__(self, jobs: int, worker_args: tuple) -> None:
        self.jobs = jobs
        self.worker_args = worker_args
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        self._held: contextlib.ExitStack | None = None
        self._exiting: list[Any] = []  # stopped workers not waited for yet (`close`)
        #: {path: index of the worker that keeps its parse}
        self._home: dict[str, int] = {}

    @property
    def running(self) -> bool:
        return bool(self._procs)

    def _start(self) -> None:
        import gc

        held = contextlib.ExitStack()
        held.enter_context(_interrupts_held())
        held.enter_context(_terminate_as_interrupt())
        self._held = held
        gc.freeze()  # objects inherited by the workers stay shared: the collector won't touch them
        context = _mp_context()
        try:
            for _ in range(self.jobs):
                mine, theirs = context.Pipe(duplex=True)
                # The worker closes the pool's ends (its own, and the other workers'), so
                # that it sees the end of its pipe when this process is gone (killed).
                proc = context.Process(
                    target=_worker_loop, args=(theirs, self.worker_args, [*self._conns, mine]), daemon=True
                )
                proc.start()
                theirs.close()
                self._procs.append(proc)
                self._conns.append(mine)
        except BaseException:
            self.close(abandon=True)
            raise
        self._home = {}

    def configure(self, worker_args: tuple) -> None:
        """Rebuild every worker's `_Worker` from `worker_args` (sent pickled once each)."""
        from multiprocessing.reduction import ForkingPickler

        if worker_args is self.worker_args or worker_args == self.worker_args:
            return
        self.worker_args = worker_args
        if not self._procs:
            return
        message = bytes(ForkingPickler.dumps(("args", worker_args)))
        for conn in self._conns:
            try:
                conn.send_bytes(message)
            except OSError:
                pass  # a dead worker: the next map finds out

    def map(
        self, method: str, items: Sequence[Item], on_broken: Callable[[Item], Any], advance: Callable[[], None]
    ) -> Iterator[Any]:
        from collections import deque
        from multiprocessing.connection import wait
        from multiprocessing.reduction import ForkingPickler

        if not self._procs:
            self._start()
        jobs = len(self._procs)
        chunksize = max(1, min(64, len(items) // (jobs * 16)))
        paths = [_path_of(_plain_item(item)) for item in items]
        own: list[deque[int]] = [deque() for _ in range(jobs)]
        shared: deque[int] = deque()
        for i, path in enumerate(paths):
            w = self._home.get(path)
            (own[w] if w is not None else shared).append(i)
        sent: list[deque[list[int]]] = [deque() for _ in range(jobs)]  # chunks in a worker's hands
        staged: list[tuple[list[int], bytes] | None] = [None] * jobs  # a large chunk waiting
        alive = set(range(jobs))
        values: dict[int, Any] = {}
        broken = False

        def next_chunk(w: int) -> list[int]:
            # Smaller chunks towards the end (a quarter of a fair share of what is left):
            # the workers finish together.
            left = len(shared) + sum(len(q) for q in own)
            size = max(1, min(chunksize, -(-left // (4 * jobs))))
            chunk: list[int] = []
            for queue in (own[w], shared):
                while queue and len(chunk) < size:
                    chunk.append(queue.popleft())
            if not chunk and self.STEAL:
                others = [o for o in range(jobs) if own[o]]
                if others:  # nothing of its own: the largest queue's last files
                    queue = own[max(others, key=lambda o: len(own[o]))]
                    while queue and len(chunk) < size:
                        chunk.append(queue.pop())
            return chunk

        def feed(w: int) -> None:
            while w in alive and len(sent[w]) < 2:
                if staged[w] is not None:
                    if sent[w]:
                        return
                    chunk, message = staged[w]  # type: ignore[misc]
                    staged[w] = None
                else:
                    chunk = next_chunk(w)
                    if not chunk:
                        return
                    message = bytes(ForkingPickler.dumps(("run", method, [items[i] for i in chunk])))
                    if sent[w] and len(message) > self.SMALL_MESSAGE:
                        staged[w] = (chunk, message)
                        return
                try:
                    self._conns[w].send_bytes(message)
                except OSError:
                    sent[w].append(chunk)
                    lose(w)
                    return
                sent[w].append(chunk)

        def lose(w: int) -> None:
            """Worker `w` died: what it held is lost; its own files go to the others."""
            nonlocal broken
            broken = True
            alive.discard(w)
            lost = [i for chunk in sent[w] for i in chunk]
            sent[w].clear()
            if staged[w] is not None:
                shared.extend(staged[w][0])  # type: ignore[index]
                staged[w] = None
            shared.extend(own[w])
            own[w].clear()
            for i in lost:
                values[i] = on_broken(items[i])
                advance()
            for path in [p for p, home in self._home.items() if home == w]:
                del self._home[path]

        try:
            _deliver_pending_interrupts()
            for w in range(jobs):
                feed(w)
            done = 0
            while done < len(items):
                while done in values:
                    value = values.pop(done)
                    done += 1
                    yield value
                if done >= len(items):
                    break
                if not alive:
                    for i in range(done, len(items)):
                        if i not in values:
                            values[i] = on_broken(items[i])
                            advance()
                    continue
                waiting = {self._conns[w]: w for w in alive if sent[w]}
                for conn in wait(list(waiting)):
                    w = waiting[conn]
                    try:
                        reply = conn.recv()
                    except (EOFError, OSError):
                        lose(w)
                        continue
                    chunk = sent[w].popleft()
                    if reply[0] == "error":
                        raise reply[1]
                    for i, value, held in zip(chunk, reply[1], reply[2]):
                        values[i] = value
                        if held:
                            self._home[paths[i]] = w
                        else:
                            self._home.pop(paths[i], None)
                        advance()
                    _deliver_pending_interrupts()
                for w in list(alive):
                    feed(w)
                if alive and not any(sent[w] for w in alive):
                    if any(i not in values for i in range(done, len(items))):
                        raise RuntimeError("otpfix: the process pool lost track of files")
        except BaseException:
            self.close(abandon=True)
            raise
        if broken:
            self.close()  # the next map starts a new pool

    def close(self, abandon: bool = False, wait: bool = True) -> None:
        """Stop the workers (and let held-back interrupts fire). `abandon`: after an
        interrupt or an error, the work in hand is dropped: the workers are terminated.
        `wait`: and wait for them to exit (otherwise a later `close` does: meanwhile they
        exit on their own)."""
        if self._procs:
            import gc

            procs, self._procs = self._procs, []
            conns, self._conns = self._conns, []
            held, self._held = self._held, None
            self._home = {}
            try:
                with _interrupts_held():  # (another interrupt meanwhile waits)
                    for proc, conn in zip(procs, conns):
                        if abandon:
                            proc.terminate()
                        else:
                            try:
                                conn.send(None)
                            except OSError:
                                pass
                        conn.close()
                    self._exiting.extend(procs)
            finally:
                gc.unfreeze()
                if held is not None:
                    held.close()  # interrupts held back meanwhile fire now
        if wait or abandon:
            exiting, self._exiting = self._exiting, []
            with _interrupts_held():
                for proc in exiting:
                    proc.join()


_INTERRUPTS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Block SIGINT/SIGTERM/SIGHUP in this thread (they wait, pending) for the duration
    (POSIX; elsewhere nothing is held)."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    sigs = {getattr(signal, n) for n in _INTERRUPTS if hasattr(signal, n)}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # pending ones fire now


class Terminated(BaseException):
    """SIGTERM or SIGHUP while workers run: stopped as for Ctrl-C (the workers with it);
    the command exits with 128 + `signum`. Not a KeyboardInterrupt (typer turns those into
    a silent exit 130) nor an Exception (nothing may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__()
        self.signum = signum


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While workers run, SIGTERM and SIGHUP (if nobody handles them: branch mode does)
    raise `Terminated` where `_deliver_pending_interrupts` lets them in, so that the pool
    is stopped with its workers; by default they would end this process at once and leave
    the workers waiting forever on a queue nobody writes to. Main thread only."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous = {}
    for name in _INTERRUPTS[1:]:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _deliver_pending_interrupts() -> None:
    """Inside `_interrupts_held`: let a pending interrupt's handler run now, here (it
    raises KeyboardInterrupt in this frame), then hold interrupts back again."""
    import signal

    if not hasattr(signal, "sigpending"):
        return
    sigs = {getattr(signal, n) for n in _INTERRUPTS if hasattr(signal, n)}
    if signal.sigpending() & sigs:
        try:
            # Unblocking delivers them; pthread_sigmask runs the handlers before returning.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, sigs)


def _broken_result(item: Item) -> Outcome:
    error = "an otpfix worker process crashed during this part of the run"
    return FileResult(path=_path_of(item), error=error), None, None, None


# -- runs ------------------------------------------------------------------------------------


def _phase(
    method: str,
    items: Sequence[Item],
    options: RunOptions,
    worker_args: tuple,
    on_broken: Callable[[Item], Any],
    advance: Callable[[], None],
    signatures: _Signatures,
    checking: Mapping[str, Sequence[str]] | None = None,
    pool: "_Pool | None" = None,
    trees: "_Trees | None" = None,
) -> list[Any]:
    """One pass over the files. Cache hits are answered here, in this process (starting
    workers and sending results back would cost more than the lookups); the misses go to
    workers, serially or in a pool (`pool`, shared with other passes, when given: its
    workers must be built from `worker_args`), and their new cache entries are written
    here, when workers are busy (`_Signatures.write`)."""
    values: list[Any] = [None] * len(items)
    todo = list(range(len(items)))
    base_key = worker_args[3]
    store = signatures.store
    if store is not None and base_key and cache_mod.Store.exists(store.directory):
        local = _Worker(*worker_args)
        local.signatures = signatures
        local.checking = checking
        todo = []
        for start in range(0, len(items), LOOKUP_BATCH):
            batch = range(start, min(start + LOOKUP_BATCH, len(items)))
            signatures.prefetch(items[i] for i in batch)
            plans = [local.plan(method, items[i]) for i in batch]
            entries = store.get_many([p[1] for p in plans if p is not None])
            for i, plan in zip(batch, plans):
                hit = local.answer(plan, entries)
                if hit is None:
                    todo.append(i)
                else:
                    values[i] = hit
                    advance()
    work = [items[i] for i in todo]
    jobs = effective_jobs(options.jobs, len(work))
    # A pool started here forks: no connection may stay open across that. Into a running
    # pool, or in this process, nothing forks, and the connection stays open for the next
    # pass (each close checkpoints the database: a file sync).
    forks = jobs > 1 and not (pool is not None and pool.running)
    # In workers (at least PARALLEL_MIN_FILES files): busy long enough for this process to
    # write what earlier passes held meanwhile (see `_Signatures.write`).
    long_pass = jobs > 1
    if store is not None:
        store.allow_retry()  # (a read error above must not stop the writes: they rebuild)
        if forks:
            store.close()
    project = worker_args[1]
    if method == "process" and not isinstance(project, Mapping) and any(not isinstance(w, _ToCollect) for w in work):
        # Some files must be checked: decode the project facts once, here, so that the
        # workers share one copy (forked) instead of each decoding its own.
        recollect = _Worker(*worker_args)._recollect
        worker_args = (worker_args[0], _decode_project(project, recollect), *worker_args[2:])
    if pool is not None and (jobs > 1 or (pool.running and work)):
        # (Even one file: the worker that parsed it may have kept the parse.)
        pool.configure(worker_args)
        outcomes = pool.map(method, work, on_broken, advance)
    else:
        outcomes = _map(method, work, jobs, worker_args, on_broken, advance, trees)
    for n, (value, key, entry, row) in enumerate(outcomes):  # to the end: the pool shuts down
        values[todo[n]] = value
        signatures.record(row)
        if key is not None:
            signatures.hold(key, entry)
        # (Opened only now, after the workers were forked.) What earlier passes held is
        # written while these workers work; then a transaction per WRITE_BATCH entries.
        signatures.write(everything=long_pass and n == 0)
        if long_pass and n == 0 and store is not None:
            store.checkpoint()  # (the workers are busy: the close at the end has less to do)
    return values


def _execute(items: Sequence[Item], options: RunOptions, rules: list[Transform], slim: bool) -> list[FileResult]:
    """Every file's FileResult, in order.

    Without project-aware rules: one pass. With them, three steps, each file parsed once
    unless a project-aware rule checks it:
      1. "first": every file; a file no project-aware rule will check is processed right
         away (its final result); a file one will check says which facts it reads
         (`Transform.wanted`); every file says under which keys its own facts would be
         found (`Transform.provides`, from the bytes).
      2. "collect", in rounds: `collect` on the files that provide a key some checked file
         wants, then on those that provide what the collected facts want next
         (`Transform.wanted_next`), until nothing new.
      3. "process": the files of step 1 that wait for facts, now checked with them.
    """
    base = cache_mod.base_key(rules, options) if options.cache_dir else None
    store = cache_mod.Store(options.cache_dir) if base is not None and options.cache_dir else None
    signatures = _Signatures(store, options, len(items))
    # One pool for every pass (started by the first pass that needs it).
    jobs = options.jobs if options.jobs > 0 else available_cores()
    shared = _Pool(max(1, min(jobs, len(items))), (options, {}, {}, base, slim))
    try:
        results = _passes(items, options, rules, slim, base, signatures, shared)
        shared.close(wait=False)  # the workers exit while the last entries are written
        signatures.write()
        return results
    except BaseException:
        shared.close(abandon=True)
        raise
    finally:
        if store is not None:
            store.close()
        shared.close()


def _passes(
    items: Sequence[Item],
    options: RunOptions,
    rules: list[Transform],
    slim: bool,
    base: str | None,
    signatures: _Signatures,
    shared: "_Pool",
) -> list[FileResult]:
    """`_execute`'s passes, in the pool `shared` (when a pass has enough files)."""
    with _progress(options, len(items)) as bar:
        args = (options, {}, {}, base, slim)
        if not any(r.uses_project() for r in rules):
            return _phase("process", items, options, args, _broken_result, bar.advance, signatures, pool=shared)
        # Every pass shares one pool (the last one sends its workers the project facts),
        # and the parses kept for later passes (`_Trees`): in this process when a pass
        # runs here, in a worker when it runs there.
        trees = _Trees()
        broken = lambda item: (_First(_broken_result(item)[0], {}), None, None, None)  # noqa: E731
        firsts: list[_First] = _phase(
            "first", items, options, args, broken, bar.advance, signatures, pool=shared, trees=trees
        )
        results: list[Any] = [f.value for f in firsts]
        waiting = [i for i, value in enumerate(results) if isinstance(value, _Wants)]
        later = {i: None for i, value in enumerate(results) if isinstance(value, _Later)}
        crashed: set[int] = set()
        if waiting:
            wants = [(_path_of(items[i]), results[i]) for i in waiting]
            files, digests = _collect_wanted(
                items, rules, wants, firsts, options, base, slim, bar, signatures, shared, later, results, crashed,
                trees,
            )
        del firsts
        if later and not waiting:  # no collect round: finished now
            entries = [_ToCollect(items[i], "", finish=True) for i in later]
            broken = lambda e: (_Finished(_broken_result(e.item)[0], (None, {})), None, None, None)  # noqa: E731
            bar.grow(len(entries))
            finished = _phase(
                "collect", entries, options, args, broken, bar.advance, signatures, pool=shared, trees=trees
            )
            for i, value in zip(later, finished):
                results[i] = value.first
        if not waiting:
            return results
        trees.only_waiting()
        return _last_pass(items, options, slim, base, signatures, bar, shared, trees, results, waiting, later,
                          files, digests, crashed)


def _last_pass(
    items: Sequence[Item],
    options: RunOptions,
    slim: bool,
    base: str | None,
    signatures: _Signatures,
    bar: Any,
    shared: "_Pool",
    trees: "_Trees",
    results: list[Any],
    waiting: list[int],
    later: dict[int, None],
    files: list[tuple[Item, Any]],
    digests: dict[str, str],
    crashed: set[int],
) -> list[FileResult]:
    """Step 3 of `_execute`: the waiting files, checked with the facts, and the files left
    for later that no round took (finished), the largest first."""
    tasks: list[tuple[int, Any]] = [(i, items[i]) for i in waiting]
    tasks += [(i, _ToCollect(items[i], "", finish=True)) for i in later]
    tasks.sort(key=lambda task: -_item_size(items[task[0]]))
    bar.grow(len(tasks))
    args = (options, files if base is not None else _decode_project(files), digests, base, slim)
    checking = {_path_of(items[i]): sorted(results[i].wants) for i in waiting}

    def broken(task: Any) -> Outcome:
        if isinstance(task, _ToCollect):
            return _Finished(_broken_result(task.item)[0], (None, {})), None, None, None
        return _broken_result(task)

    values = _phase(
        "process", [t for _, t in tasks], options, args, broken, bar.advance, signatures, checking, shared, trees
    )
    for (i, _task), value in zip(tasks, values):
        results[i] = value.first if isinstance(value, _Finished) else value
    for i in sorted(crashed):
        # Its facts were lost with a worker: the checks of other files ran without
        # them. Said on the file (unless it already has an error of its own).
        if isinstance(results[i], FileResult) and results[i].error is None:
            results[i] = replace(results[i], error=FACTS_LOST)
    return results


CHANGED_DURING_RUN = "file changed while otpfix was running; left alone: run otpfix again"
FACTS_LOST = (
    "an otpfix worker process crashed while collecting this file's facts for other files; "
    "their checks ran without them"
)


def _item_size(item: Item) -> int:
    """A file's size, 0 if unknown (an estimate of what it costs to handle)."""
    try:
        return os.stat(item.fs_path).st_size if isinstance(item, Target) else len(item[1])
    except (OSError, TypeError):
        return 0


def _collect_wanted(
    items: Sequence[Item],
    rules: Sequence[Transform],
    wants: Sequence[tuple[str, _Wants]],
    firsts: Sequence[_First],
    options: RunOptions,
    base: str | None,
    slim: bool,
    bar: Any,
    signatures: _Signatures,
    pool: "_Pool | None" = None,
    later: dict[int, None] | None = None,
    results: list[Any] | None = None,
    crashed: set[int] | None = None,
    trees: "_Trees | None" = None,
) -> tuple[list[tuple[Item, Any]], dict[str, str]]:
    """Step 2 of `_execute`: ([(item, {rule id: facts} or its JSON text)] in file order,
    one per rule and file collected; {rule id: digest of the facts it sees} when caching).

    Rounds, per rule: collect the rule's facts in the files that provide a key newly
    wanted of that rule (chosen by set operations on what the first pass returned: no file
    is read to choose); then follow, in every file collected for the rule, the wanted keys
    it provides that were not followed there yet (`Transform.wanted_next`), which may want
    more. A rule's facts are collected only where that rule wants them. What was collected
    is cached under a key of what the waiting files want and every file's digest: a warm
    run skips the rounds (and decodes no facts).

    The files of `later` (first-pass `_Later`) are finished by the round that collects
    them, in one parse with their facts, or as filler of a short round; they leave
    `later` and their results go into `results`. `crashed` gets the files whose facts
    were lost with a worker that died."""
    collected: dict[tuple[int, str], tuple[Any, Any]] = {}
    groups: list[tuple[int, str]] = []  # (file index, "rule,rule") as collected, in order
    store = signatures.store
    # {rule id: the other rules that collect the same facts (`Transform.facts_key`)}
    same_facts: dict[str, list[str]] = {}
    by_facts_key: dict[Any, list[str]] = {}
    for r in rules:
        if r.uses_project():
            try:
                fk = r.facts_key()
                hash(fk)
            except Exception:
                fk = None
            if fk is not None:
                by_facts_key.setdefault(fk, []).append(r.id)
    for ids in by_facts_key.values():
        for rid in ids:
            same_facts[rid] = [o for o in ids if o != rid]
    provides: list[Mapping[str, Any]] | None = None  # set once the rounds start (below)

    rounds: list[int] = []
    sizes_known: dict[int, int] = {}
    lost: set[int] = set()  # ids of the items whose collect was lost with a worker
    held: set[int] = set()  # files left for later that a crash sent to the last pass
    crashed = crashed if crashed is not None else set()

    def size_of(i: int) -> int:
        if i not in sizes_known:
            sizes_known[i] = _item_size(items[i])
        return sizes_known[i]

    def collect(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
        """Collect these (file index, rule id) pairs, the rules wanting a file in one parse
        (one pass per set of rules); the new pairs."""
        _deliver_pending_interrupts()  # (held back while the shared pool lives)
        by_file: dict[int, set[str]] = {}
        for i, rid in pairs:
            if (i, rid) not in collected:
                by_file.setdefault(i, set()).add(rid)
        if provides is not None:
            # The rules with the same facts that can collect the file too: computed once.
            for i, rids in by_file.items():
                for rid in list(rids):
                    for other in same_facts.get(rid, ()):
                        if other in provides[i] and (i, other) not in collected:
                            rids.add(other)
        by_rules: dict[str, list[int]] = {}
        for i, rids in by_file.items():
            by_rules.setdefault(",".join(sorted(rids)), []).append(i)
        # One pass for every file of the round, each with its rules.
        todo = sorted((i, rids) for rids, files in by_rules.items() for i in files)
        groups.extend(todo)
        finish: set[int] = set()
        if later:
            # Files left for later that this round collects: finished in the same parse.
            finish = {i for i in by_file if i in later}
            for i in finish:
                del later[i]
            if rounds and todo and pool is not None and pool.jobs > 1:
                # A later round is short (a few files of a chain): the workers it leaves
                # idle meanwhile finish other files left for later (by size, up to
                # `jobs` x its largest file, which bounds how long it takes).
                sizes = [size_of(i) for i, _ in todo]
                budget = pool.jobs * max(sizes) - sum(sizes)
                for i in list(later):
                    if i in held:
                        continue
                    if budget <= 0:
                        break
                    budget -= size_of(i)
                    todo.append((i, ""))
                    finish.add(i)
                    del later[i]
        rounds.append(len(todo))
        if not todo:
            return []
        # The largest files first: a round ends when its slowest worker does.
        todo.sort(key=lambda pair: -size_of(pair[0]))
        bar.grow(len(todo))

        def broken(e: _ToCollect) -> Outcome:
            # A file left for later is finished in the last pass instead (not taken as
            # filler again); its facts, if this round collected them, are lost.
            value = _Finished(None, (None, {})) if e.finish else (None, {})
            if e.rules:
                lost.add(id(e.item))
            return value, None, None, None

        args = (options, {}, {}, base, slim)
        entries = [_ToCollect(items[i], rids, finish=i in finish) for i, rids in todo]
        values = _phase("collect", entries, options, args, broken, bar.advance, signatures, pool=pool, trees=trees)
        done = []
        for (i, rids), value in zip(todo, values):
            if id(items[i]) in lost:
                crashed.add(i)
            if isinstance(value, _Finished):
                if value.first is None:  # lost with a worker: the last pass finishes it
                    held.add(i)
                    later[i] = None  # type: ignore[index]
                else:
                    assert results is not None
                    results[i] = value.first
                value = value.collected
            if not rids:
                continue
            for rid in rids.split(","):
                collected[(i, rid)] = value
                done.append((i, rid))
        return done

    demand_key = None
    if base is not None and store is not None:
        demand_key = _demand_key(base, wants, [(_path_of(i), signatures.known_digest(i)) for i in items])
        known = store.get_many([demand_key]).get(demand_key)
        if isinstance(known, dict) and isinstance(known.get("c"), list):
            # The same (file, rules) groups as the run that found them: the same entries.
            where = {_path_of(item): i for i, item in enumerate(items)}
            replay: dict[str, list[int]] = {}
            by_file: dict[int, list[str]] = {}
            for entry in known["c"]:
                if isinstance(entry, list) and len(entry) == 2 and entry[0] in where and isinstance(entry[1], str):
                    replay.setdefault(entry[1], []).append(where[entry[0]])
            # One file may have been collected for different rules in different rounds.
            for rids in sorted(replay):
                for i in replay[rids]:
                    by_file.setdefault(i, []).append(rids)
            for n in range(max((len(v) for v in by_file.values()), default=0)):
                collect((i, rid) for i, sets in by_file.items() if n < len(sets) for rid in sets[n].split(","))
            return _project_files(items, collected, base)

    _fill_provides(items, firsts, rules, options, base, signatures)
    provides = [f.keys() for f in firsts]
    by_id = {r.id: r for r in rules}
    # Who provides what: {rule id: {key: [file index]}}, and the files providing any key.
    index, anything = _provider_index(provides)
    demanded: dict[str, set[bytes]] = {}
    every: set[str] = set()  # rules some file wants every file's facts for
    new: dict[str, set[bytes]] = {}
    decoded: dict[tuple[int, str], dict[str, Any]] = {}

    def want(rid: str, keys: tuple[bytes, ...] | None) -> None:
        if keys is None:
            every.add(rid)
            return
        fresh = set(keys) - demanded.setdefault(rid, set())
        if fresh:
            demanded[rid] |= fresh
            new.setdefault(rid, set()).update(fresh)

    def providers(rid: str, keys: Iterable[bytes]) -> dict[int, set[bytes]]:
        """{file index: the keys of `keys` it provides}."""
        out: dict[int, set[bytes]] = {}
        by_key = index.get(rid, {})
        for key in keys:
            for i in by_key.get(key, ()):
                out.setdefault(i, set()).add(key)
            base = key_base(key)
            if base != key:
                for i in by_key.get(base, ()):
                    out.setdefault(i, set()).add(key)
        for i in anything.get(rid, ()):
            out.setdefault(i, set()).update(keys)
        return out

    for _path, w in wants:
        for rid, keys in w.wants.items():
            want(rid, keys)
    searched_every: set[str] = set()
    while new or every - searched_every:
        round_new, new = new, {}
        round_every = every - searched_every
        searched_every |= round_every
        # Facts to follow: {(file index, rule id): keys, or None for all of them}.
        follow_now: dict[tuple[int, str], set[bytes] | None] = {}
        for rid in round_every:
            for i, keys_of in enumerate(provides):
                if rid in keys_of:
                    follow_now[(i, rid)] = None
        for rid, keys in round_new.items():
            if rid in every:
                continue  # followed whole (above, once)
            for i, found in providers(rid, keys).items():
                follow_now.setdefault((i, rid), set()).update(found)  # type: ignore[union-attr]
        fresh: dict[str, list[int]] = {}
        for i, rid in collect(follow_now):
            fresh.setdefault(rid, []).append(i)
        # A file collected now is followed for every key wanted of it so far.
        for rid, files in fresh.items():
            if rid not in every:
                found = providers(rid, demanded.get(rid, set()))
                for i in files:
                    follow_now[(i, rid)] = found.get(i, set())
        for (i, rid), keys in sorted(follow_now.items(), key=lambda kv: kv[0]):
            rule = by_id.get(rid)
            facts = _facts_of(collected[(i, rid)][1], decoded, (i, rid)).get(rid) if rule is not None else None
            if facts is not None:
                want(rid, follow(rule, facts, frozenset(keys) if keys is not None else None))  # type: ignore[arg-type]
    # (Not when facts were lost with a worker: the files only they lead to are missing.)
    if demand_key is not None and store is not None and not options.fix and not lost:
        pairs = [[_path_of(items[i]), rids] for i, rids in groups]
        signatures.hold(demand_key, cache_mod.to_json({"c": pairs}))
    return _project_files(items, collected, base)


def _provider_index(
    provides: Sequence[Mapping[str, tuple[bytes, ...] | None]],
) -> tuple[dict[str, dict[bytes, list[int]]], dict[str, list[int]]]:
    """({rule id: {key: [index of a file providing it]}}, {rule id: [index of a file
    providing any key]}). Rules that provide the same keys in every file (the rescue rules
    share `function_keys`) share one index: built once (tens of thousands of keys, while
    the workers wait for the first collect round)."""
    rids = sorted({rid for keys_of in provides for rid in keys_of})
    same: dict[str, str] = {}
    for n, rid in enumerate(rids):
        for other in rids[:n]:
            if other not in same and all(
                (rid in keys_of) == (other in keys_of) and keys_of.get(rid) == keys_of.get(other)
                for keys_of in provides
            ):
                same[rid] = other
                break
    index: dict[str, dict[bytes, list[int]]] = {}
    anything: dict[str, list[int]] = {}
    for i, keys_of in enumerate(provides):
        for rid, keys in keys_of.items():
            if rid in same:
                continue
            if keys is None:
                anything.setdefault(rid, []).append(i)
                continue
            by_key = index.get(rid)
            if by_key is None:
                by_key = index[rid] = {}
            for key in keys:
                files = by_key.get(key)
                if files is None:
                    by_key[key] = [i]
                else:
                    files.append(i)
    for rid, other in same.items():
        if other in index:
            index[rid] = index[other]
        if other in anything:
            anything[rid] = anything[other]
    return index, anything


def _fill_provides(
    items: Sequence[Item],
    firsts: Sequence[_First],
    rules: Sequence[Transform],
    options: RunOptions,
    base: str | None,
    signatures: _Signatures,
) -> None:
    """The `provides` keys of the files whose first-pass answer came from the cache: from
    their own entries (batched), else (an entry missing or corrupt) from the file's bytes."""
    missing = [i for i, f in enumerate(firsts) if f.provides is None]
    store = signatures.store
    keys = _Keys(base, {}) if base is not None else None
    for start in range(0, len(missing), LOOKUP_BATCH):
        _deliver_pending_interrupts()  # (held back while the shared pool lives)
        batch = missing[start : start + LOOKUP_BATCH]
        wanted: dict[int, str] = {}
        if keys is not None and store is not None:
            for i in batch:
                digest = signatures.known_digest(items[i])
                if digest:
                    wanted[i] = keys.provides(_path_of(items[i]), digest)
        got = store.get_many(list(wanted.values())) if wanted and store is not None else {}
        for i in batch:
            raw = got.get(wanted[i]) if i in wanted else None
            if isinstance(raw, dict) and isinstance(raw.get("p"), dict):
                firsts[i].provides = raw["p"]
            else:
                path, data, _error, _meta = _load(items[i], options)
                firsts[i].provides = provided_by(path, data, rules, options) if data is not None else {}


def _facts_part(payload: Any, rid: str) -> Any:
    """The part of a collected payload ({rule id: facts}, or its JSON text: kept as text,
    decoded only if a file must be checked) that belongs to one rule."""
    if isinstance(payload, dict):
        return {rid: payload[rid]} if rid in payload else {}
    return payload  # text: `_decode_project` keeps every rule's part (harmless: exact)


def _facts_of(payload: Any, decoded: dict[Any, dict[str, Any]], key: Any) -> dict[str, Any]:
    """Collected facts as objects ({rule id: facts}), decoding cached text once."""
    if key not in decoded:
        if isinstance(payload, str):
            try:
                facts = cache_mod.loads(payload)
                decoded[key] = facts if isinstance(facts, dict) else {}
            except Exception:
                decoded[key] = {}  # the check pass collects it again (see _decode_project)
        else:
            decoded[key] = payload
    return decoded[key]


def _demand_key(base: str, wants: Sequence[tuple[str, _Wants]], files: Sequence[tuple[str, str]]) -> str:
    """Which files the rounds collect depends on what the waiting files want and on the
    content of every file (a file's `provides` and facts come from its bytes)."""
    h = hashlib.sha256()
    for path, w in wants:
        h.update(f"{path}\0{sorted(_keys_out(w.wants).items(), key=str)}\0".encode("utf-8", "surrogateescape"))
    h.update(b"\1")
    for path, digest in files:
        h.update(f"{path}\0{digest}\0".encode("utf-8", "surrogateescape"))
    return cache_mod.entry_key("demand", base, "", h.hexdigest())


def _project_files(
    items: Sequence[Item], collected: Mapping[tuple[int, str], tuple[Any, Any]], base: str | None
) -> tuple[list[tuple[Item, Any]], dict[str, str]]:
    # A payload may hold the facts of several rules (collected in one parse): each
    # (file, rule) pair contributes its rule's part.
    files = [(items[i], _facts_part(collected[(i, rid)][1], rid)) for i, rid in sorted(collected)]
    digests: dict[str, str] = {}
    if base is not None:
        # What each project rule sees, as a digest of its per-file digests: a warm run
        # never decodes the facts unless some file has to be checked again.
        parts: dict[str, Any] = {}
        for i, rid in sorted(collected):
            file_digests, payload = collected[(i, rid)]
            if file_digests is None:
                file_digests = {r: cache_mod.digest(v) for r, v in _facts_part(payload, rid).items()}
            path = _path_of(items[i])
            if rid in file_digests:
                parts.setdefault(rid, hashlib.sha256()).update(f"{path}\0{file_digests[rid]}\0".encode())
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
