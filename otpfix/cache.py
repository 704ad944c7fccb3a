"""The result cache (`.otpfix_cache/`): per-file findings and project facts, on disk.

An entry is keyed by everything its content depends on: the file's path and the SHA-256 of
its bytes, the otpfix version and a fingerprint of otpfix's own code (so an edited rule
never reuses stale results), the versions of tree-sitter, the Elixir grammar and Python,
the enabled rules with their merged options, the run settings
that change findings, and, for project-aware rules that could run on the file, a digest of
the project facts they see. A hit is therefore exact: the file is not parsed again.

Entries are small JSON documents (never pickle: a cache directory checked out from an
untrusted repository must not be able to run code) in an SQLite table, written in one
transaction per run phase (atomic). An unreadable or otherwise corrupt entry is a miss; a
cache that cannot be written is skipped: the cache is never the reason a run fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import sys
from typing import Any, Iterable, Mapping, Sequence

from . import __version__
from .types import Applicability, Edit, FileResult, Finding, Fix, RunOptions, Span

CACHE_DIR_NAME = ".otpfix_cache"
FORMAT = "5"  # bump when the entry layout changes

#: RunOptions fields that cannot change a file's findings (everything else is in the key,
#: so a field added later is safe by default: at worst it costs cache misses).
NOT_IN_KEY = frozenset(
    {"fix", "safe_only", "jobs", "max_passes", "cache_dir", "progress", "baseline", "select", "ignore", "rule_options"}
)


class Unencodable(TypeError):
    pass


# -- a tagged, deterministic JSON encoding for facts and options ----------------------------


def encode(obj: Any) -> Any:
    """A JSON value that `decode` turns back into an equal object.

    Supports None, bool, int, float, str, bytes, list, tuple, set, frozenset, dict (any
    encodable keys) and dataclasses defined in otpfix modules. Sets are sorted by their
    encoding so that the result does not depend on hash randomisation.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj if type(obj) is int else _enc_other(obj)
    if type(obj) is float:
        return {"~f": repr(obj)}  # repr round-trips exactly, nan and inf included
    # (Strings, most of the values in facts, are their own encoding: taken as they are
    # inside containers, without a call each.)
    if type(obj) is list:
        return [x if type(x) is str else encode(x) for x in obj]
    if type(obj) is tuple:
        return {"~t": [x if type(x) is str else encode(x) for x in obj]}
    if type(obj) in (set, frozenset):
        items = sorted((encode(x) for x in obj), key=_canonical)
        return {"~s" if type(obj) is set else "~fs": items}
    if type(obj) is dict:
        return {
            "~d": [
                [k if type(k) is str else encode(k), v if type(v) is str else encode(v)]
                for k, v in obj.items()
            ]
        }
    if type(obj) is bytes:
        return {"~b": obj.hex()}
    return _enc_other(obj)


def _enc_other(obj: Any) -> Any:
    cls = type(obj)
    spec = _DATACLASSES.get(cls)
    if spec is None:
        if not (dataclasses.is_dataclass(obj) and cls.__module__.split(".")[0] == "otpfix"):
            raise Unencodable(f"cannot cache a {cls.__module__}.{cls.__qualname__}")
        names = tuple(f.name for f in dataclasses.fields(obj))
        spec = _DATACLASSES[cls] = (f"{cls.__module__}:{cls.__qualname__}", names)
    tag, names = spec
    return {"~dc": tag, "f": [[name, encode(getattr(obj, name))] for name in names]}


#: {dataclass: (its tag, its field names)}: `dataclasses.fields` builds a tuple per call,
#: and facts hold tens of thousands of dataclass instances. (A class's fields never change.)
_DATACLASSES: dict[type, tuple[str, tuple[str, ...]]] = {}


def decode(obj: Any) -> Any:
    if isinstance(obj, _Decoded):
        return obj.value
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, list):
        return [decode(x) for x in obj]
    if not isinstance(obj, dict) or not obj:
        raise ValueError("bad encoded value")
    if "~f" in obj:
        return float(obj["~f"])
    if "~t" in obj:
        return tuple(decode(x) for x in obj["~t"])
    if "~s" in obj:
        return {decode(x) for x in obj["~s"]}
    if "~fs" in obj:
        return frozenset(decode(x) for x in obj["~fs"])
    if "~d" in obj:
        return {decode(k): decode(v) for k, v in obj["~d"]}
    if "~b" in obj:
        return bytes.fromhex(obj["~b"])
    if "~dc" in obj:
        module_name, _, qualname = obj["~dc"].partition(":")
        if module_name.split(".")[0] != "otpfix":
            raise ValueError("refusing a class outside otpfix")
        value: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            value = getattr(value, part)
        if not (isinstance(value, type) and dataclasses.is_dataclass(value)):
            raise ValueError("not a dataclass")
        return value(**{k: decode(v) for k, v in obj["f"]})
    raise ValueError("bad encoded value")


def _hook(obj: dict) -> Any:
    """json.loads object hook: `decode` done while parsing (one pass, no intermediate)."""
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag == "~t":
            return tuple(value)
        if tag == "~s":
            return set(value)
        if tag == "~fs":
            return frozenset(value)
        if tag == "~d":
            return {k: v for k, v in value}
        if tag == "~f":
            return float(value)
        if tag == "~b":
            return bytes.fromhex(value)
    if len(obj) == 2 and "~dc" in obj and "f" in obj:
        return decode({"~dc": obj["~dc"], "f": [(k, _Decoded(v)) for k, v in obj["f"]]})
    raise ValueError("bad encoded value")  # every object of the encoding is tagged


class _Decoded:
    """A value already decoded by `_hook` (so that `decode` passes it through)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def loads(text: str) -> Any:
    """`decode(json.loads(text))`, faster and with less garbage."""
    return json.loads(text, object_hook=_hook)


def _canonical(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest_encoded(encoded: Any) -> str:
    """`digest` of a value, given its `encode`d form (equal to `digest(value)`)."""
    return hashlib.sha256(("j" + _canonical(encoded)).encode("utf-8")).hexdigest()


def encode_facts(facts: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """({key: `digest` of its value}, JSON text that `loads` turns back into `facts`):
    each distinct value object (rules with the same facts return one) is encoded,
    serialised and hashed once, and its canonical serialisation is also its text.
    Raises Unencodable (or RecursionError) as `encode` does."""
    done: dict[int, tuple[str, str]] = {}
    digests: dict[str, str] = {}
    parts: list[str] = []
    for key, value in facts.items():
        got = done.get(id(value))
        if got is None:
            canonical = _canonical(encode(value))
            got = done[id(value)] = (canonical, hashlib.sha256(("j" + canonical).encode("utf-8")).hexdigest())
        digests[key] = got[1]
        parts.append(f"[{json.dumps(encode(key), ensure_ascii=False)},{got[0]}]")
    return digests, '{"~d":[' + ",".join(parts) + "]}"


def digest(obj: Any) -> str:
    """A stable hex digest of `obj` (same value, same digest, in every process and run).

    Values `encode` does not support fall back to pickle, which is still exact (equal
    digests mean equal pickles) but may differ between runs: only cache misses follow.
    Values that cannot even be pickled get a random digest (never a hit)."""
    try:
        raw = ("j" + _canonical(encode(obj))).encode("utf-8")
    except (Unencodable, RecursionError):
        import pickle

        try:
            raw = b"p" + pickle.dumps(obj, protocol=4)
        except Exception:
            raw = b"r" + os.urandom(16)  # cannot be identified: never a hit
    return hashlib.sha256(raw).hexdigest()


# -- the key -------------------------------------------------------------------------------


def _code_fingerprint() -> str:
    """Hash of otpfix's own Python sources (engine and transforms)."""
    import otpfix
    import otpfix.transforms

    h = hashlib.sha256()
    for package in (otpfix, otpfix.transforms):
        for directory in package.__path__:
            try:
                names = sorted(n for n in os.listdir(directory) if n.endswith(".py"))
            except OSError:
                continue
            for name in names:
                try:
                    with open(os.path.join(directory, name), "rb") as fh:
                        content = fh.read()
                except OSError:
                    continue
                h.update(f"{package.__name__}/{name}\0{len(content)}\0".encode())
                h.update(content)
    return h.hexdigest()


def _dependencies() -> list[str]:
    """What else decides the findings: Python's version and the installed tree-sitter and
    Elixir grammar binaries (size and modification time: an upgrade rewrites them; cheaper
    than asking package metadata on every run)."""
    import tree_sitter
    import tree_sitter_elixir

    out = [".".join(map(str, sys.version_info[:2]))]
    for module in (tree_sitter, tree_sitter_elixir):
        binding = getattr(module, "_binding", None)
        path = getattr(binding, "__file__", None) or getattr(module, "__file__", None) or ""
        try:
            st = os.stat(path)
            out.append(f"{module.__name__}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            out.append(f"{module.__name__}:?")
    return out


def base_key(rules: Iterable[Any], options: RunOptions) -> str:
    """The part of every key shared by all files of a run."""
    settings = {
        f.name: getattr(options, f.name)
        for f in dataclasses.fields(options)
        if f.name not in NOT_IN_KEY
    }
    spec = [
        FORMAT,
        __version__,
        _code_fingerprint(),
        _dependencies(),
        [[r.id, digest(dict(r.options))] for r in rules],
        digest(settings),
    ]
    return hashlib.sha256(_canonical(spec).encode()).hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: A recorded digest is trusted only for a file last changed this long before it was read.
RACY_NS = 3_000_000_000


def stat_signature(st: os.stat_result) -> str:
    """What changes whenever a file's content can have changed: size, modification and
    status-change times (ns), inode and device (git's index makes the same bet)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def trusted_digest(st: os.stat_result, row: tuple[str, int, str] | None) -> str | None:
    """The content digest recorded for a file whose stat is `st`, if it can be trusted:
    the same signature, and the file had not changed for RACY_NS before it was read (a
    change in the same clock tick as the reading would keep the signature: "racy")."""
    if row is None:
        return None
    sig, recorded, digest = row
    if sig != stat_signature(st):
        return None
    if st.st_mtime_ns + RACY_NS > recorded or st.st_ctime_ns + RACY_NS > recorded:
        return None
    return digest


def entry_key(kind: str, base: str, path: str, data_digest: str, extra: Iterable[str] = ()) -> str:
    """SHA-256 of every part followed by a NUL byte (one string, one hash call)."""
    text = "\0".join((kind, base, path, data_digest, *extra)) + "\0"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


# -- the store -----------------------------------------------------------------------------


class Store:
    """Entries in one SQLite file, `<dir>/cache.sqlite` (stdlib, atomic transactions, one
    file instead of thousands: creating a small file per entry costs more than parsing on
    some file systems). Only the main process opens it; workers return entries to write.

    Every failure (locked, read-only, corrupt, unsupported file system) turns into a miss
    or a skipped write. A corrupt database file is replaced by an empty one on write.
    """

    FILE = "cache.sqlite"
    #: Entries kept at most (the oldest go first): max(this, 4 x the files of the run).
    MAX_ENTRIES = 100_000

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, self.FILE)
        self._db: Any = None
        self._broken = False

    @classmethod
    def exists(cls, directory: str) -> bool:
        return os.path.isfile(os.path.join(directory, cls.FILE))

    def _open(self, create: bool) -> Any:
        if self._db is not None or self._broken:
            return self._db
        if not create and not os.path.exists(self.path):
            return None
        import sqlite3

        if create:
            self._prepare_dir()
        db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, sig TEXT NOT NULL, "
                "recorded INTEGER NOT NULL, digest TEXT NOT NULL)"
            )
        except sqlite3.Error:
            db.close()
            raise
        self._db = db
        return db

    def _prepare_dir(self) -> None:
        if os.path.isdir(self.directory):
            return
        os.makedirs(self.directory, exist_ok=True)
        # Keep the cache out of version control and out of backups.
        for name, text in (
            (".gitignore", "# Created by otpfix.\n*\n"),
            ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# otpfix result cache\n"),
        ):
            try:
                with open(os.path.join(self.directory, name), "x") as fh:
                    fh.write(text)
            except OSError:
                pass

    def get(self, key: str) -> Any | None:
        """The decoded value stored under `key`, or None (absent, unreadable, corrupt)."""
        return self.get_many([key]).get(key)

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """{key: decoded value} for the keys that are stored (as `get`, in batches: one
        query per few hundred keys instead of one per file)."""
        out: dict[str, Any] = {}
        for key, value in self._select_in("SELECT key, value FROM entries WHERE key", keys):
            try:
                out[key] = json.loads(value)
            except ValueError:
                pass  # a corrupt entry is a miss
        return out

    def get_stats(self, paths: Sequence[str]) -> dict[str, tuple[str, int, str]]:
        """{path: (stat signature, when it was recorded (ns), content digest)} (see
        `trusted_digest`), in batches."""
        query = "SELECT path, sig, recorded, digest FROM stats WHERE path"
        return {path: (sig, recorded, digest) for path, sig, recorded, digest in self._select_in(query, paths)}

    def _select_in(self, query: str, values: Sequence[str]) -> list[tuple]:
        """The rows of `query IN (values)`, 500 values per statement; none on any error
        (then the cache is not read again in this run)."""
        import sqlite3

        rows: list[tuple] = []
        try:
            db = self._open(create=False)
            if db is None:
                return rows
            for start in range(0, len(values), 500):
                batch = values[start : start + 500]
                rows.extend(db.execute(f"{query} IN ({','.join('?' * len(batch))})", batch))
        except (sqlite3.Error, OSError):
            self.close()
            self._broken = True
            return []
        return rows

    def put_stats(self, rows: Sequence[tuple[str, str, int, str]]) -> None:
        """Record (path, stat signature, when, content digest) rows; failures are ignored."""
        self.put(stats=rows)

    def put_many(self, entries: Sequence[tuple[str, str]], run_size: int = 0) -> None:
        """Store (key, JSON text) pairs in one transaction."""
        self.put(entries=entries, run_size=run_size)

    def put(
        self,
        entries: Sequence[tuple[str, str]] = (),
        stats: Sequence[tuple[str, str, int, str]] = (),
        run_size: int = 0,
    ) -> None:
        """Store (key, JSON text) pairs and stat rows (see `put_stats`) in one transaction."""
        self._write(
            [
                ("entries", "(key, value) VALUES (?, ?)", entries),
                ("stats", "(path, sig, recorded, digest) VALUES (?, ?, ?, ?)", stats),
            ],
            run_size,
        )

    def _write(self, groups: Sequence[tuple[str, str, Sequence[tuple]]], run_size: int) -> None:
        """INSERT OR REPLACE each group's rows into its table, all in one transaction,
        then drop the oldest rows of a table beyond max(MAX_ENTRIES, 4 x run_size, the
        rows just written). A database that is not one is replaced once; a locked or
        read-only one is skipped."""
        groups = [(table, values, list(rows)) for table, values, rows in groups if rows]
        if not groups:
            return
        import sqlite3

        for attempt in (1, 2):
            try:
                db = self._open(create=True)
                if db is None:
                    return
                db.execute("BEGIN IMMEDIATE")
                try:
                    for table, values, rows in groups:
                        db.executemany(f"INSERT OR REPLACE INTO {table} {values}", rows)
                        self._prune(db, table, max(self.MAX_ENTRIES, 4 * run_size, len(rows)))
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                return
            except sqlite3.DatabaseError as exc:
                self.close()
                if attempt == 2 or isinstance(exc, sqlite3.OperationalError):
                    return  # locked, read-only, ...: skip this write
                self._reset()  # "file is not a database", "malformed": start afresh
            except (sqlite3.Error, OSError):
                self.close()
                return

    @staticmethod
    def _prune(db: Any, table: str, cap: int) -> None:
        """Delete the oldest rows of `table` beyond `cap`."""
        # Rowids are distinct integers: there are at most max - min + 1 rows (two index
        # lookups, where count(*) reads the whole table).
        low, high = db.execute(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
        if high is None or high - low + 1 <= cap:
            return
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
        if count > cap:
            db.execute(
                f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} ORDER BY rowid LIMIT ?)",
                (count - cap,),
            )

    def _reset(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except OSError:
                pass

    def allow_retry(self) -> None:
        """After an error, let the next call open the database again (writes rebuild a
        corrupt one)."""
        if self._db is None:
            self._broken = False

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database now (a file sync), so that closing
        the connection (which does it otherwise) has little left to do. Never raises."""
        if self._db is None:
            return
        try:
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            pass

    def close(self, retry: bool = False) -> None:
        """Close the connection; `retry`: a later call may open it again even after an
        error (writes rebuild a corrupt database)."""
        if retry:
            self._broken = False
        if self._db is not None:
            try:
                self._db.close()
            except Exception:
                pass
        self._db = None


# -- FileResult <-> JSON -------------------------------------------------------------------


def dump_findings(findings: Iterable[Finding]) -> list:
    out = []
    for f in findings:
        s = f.span
        fix = None
        if f.fix is not None:
            fix = [f.fix.title, f.fix.applicability.value, [[e.start, e.end, e.text] for e in f.fix.edits]]
        span = [s.start, s.end, s.line, s.column, s.end_line, s.end_column]
        out.append([f.rule, span, f.message, fix, f.fingerprint])
    return out


def load_findings(path: str, raw: list) -> tuple[Finding, ...]:
    out = []
    for rule, span, message, fix, fingerprint in raw:
        fx = None
        if fix is not None:
            title, applicability, edits = fix
            fx = Fix(title, tuple(Edit(a, b, t) for a, b, t in edits), Applicability(applicability))
        out.append(Finding(rule, path, Span(*span), message, fx, fingerprint=fingerprint))
    return tuple(out)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_result(result: FileResult) -> dict:
    return {"findings": dump_findings(result.findings), "error": result.error}


#: `result_json` of a result with no finding and no error (most files).
_EMPTY_RESULT = to_json({"findings": [], "error": None})


def result_json(result: FileResult) -> str:
    """`to_json(dump_result(result))`."""
    if not result.findings and result.error is None:
        return _EMPTY_RESULT
    return to_json(dump_result(result))


def load_entry(path: str, raw: Mapping[str, Any]) -> tuple[tuple[Finding, ...], str | None]:
    findings = load_findings(path, raw["findings"])
    error = raw["error"]
    if error is not None and not isinstance(error, str):
        raise ValueError("bad error")
    return findings, error
