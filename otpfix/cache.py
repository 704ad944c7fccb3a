"""The result cache (`.otpfix_cache/`): per-file findings and project facts, on disk.

An entry is keyed by everything its content depends on: the file's path and the SHA-256 of
its bytes, the otpfix version and a fingerprint of otpfix's own code (so an edited rule
never reuses stale results), the enabled rules with their merged options, the run settings
that change findings, and, for project-aware rules that could run on the file, a digest of
the project facts they see. A hit is therefore exact: the file is not parsed again.

Entries are small JSON documents (never pickle: a cache directory checked out from an
untrusted repository must not be able to run code), written atomically (temporary file in
the same directory, then rename). An unreadable, truncated or otherwise corrupt entry is a
miss; a cache that cannot be written is silently skipped: the cache is never the reason a
run fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import pickle
from typing import Any, Iterable, Mapping

from . import __version__
from .types import Applicability, Edit, FileResult, Finding, Fix, RunOptions, Span

CACHE_DIR_NAME = ".otpfix_cache"
FORMAT = "1"  # bump when the entry layout changes

#: RunOptions fields that cannot change a file's findings (everything else is in the key,
#: so a field added later is safe by default: at worst it costs cache misses).
NOT_IN_KEY = frozenset(
    {"fix", "safe_only", "jobs", "max_passes", "cache_dir", "quiet", "select", "ignore", "rule_options"}
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
    if type(obj) is list:
        return [encode(x) for x in obj]
    if type(obj) is tuple:
        return {"~t": [encode(x) for x in obj]}
    if type(obj) in (set, frozenset):
        items = sorted((encode(x) for x in obj), key=_canonical)
        return {"~s" if type(obj) is set else "~fs": items}
    if type(obj) is dict:
        return {"~d": [[encode(k), encode(v)] for k, v in obj.items()]}
    if type(obj) is bytes:
        return {"~b": obj.hex()}
    return _enc_other(obj)


def _enc_other(obj: Any) -> Any:
    cls = type(obj)
    if dataclasses.is_dataclass(obj) and cls.__module__.split(".")[0] == "otpfix":
        fields = {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"~dc": f"{cls.__module__}:{cls.__qualname__}", "f": fields}
    raise Unencodable(f"cannot cache a {cls.__module__}.{cls.__qualname__}")


def decode(obj: Any) -> Any:
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
        return value(**{k: decode(v) for k, v in obj["f"].items()})
    raise ValueError("bad encoded value")


def _canonical(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(obj: Any) -> str:
    """A stable hex digest of `obj` (same value, same digest, in every process and run).

    Values `encode` does not support fall back to pickle, which is still exact (equal
    digests mean equal pickles) but may differ between runs: only cache misses follow."""
    try:
        raw = ("j" + _canonical(encode(obj))).encode("utf-8")
    except (Unencodable, RecursionError):
        raw = b"p" + pickle.dumps(obj, protocol=4)
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
        [[r.id, digest(dict(r.options))] for r in rules],
        digest(settings),
    ]
    return hashlib.sha256(_canonical(spec).encode()).hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_key(kind: str, base: str, path: str, data_digest: str, extra: Iterable[str] = ()) -> str:
    h = hashlib.sha256()
    for part in (kind, base, path, data_digest, *extra):
        h.update(part.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


# -- entries -------------------------------------------------------------------------------


class Cache:
    """A directory of entries: `<dir>/<2 hex>/<62 hex>.json`."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._made: set[str] = set()
        self._usable = True

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key[2:] + ".json")

    def get(self, key: str) -> Any | None:
        try:
            with open(self._path(key), "rb") as fh:
                doc = json.loads(fh.read())
            if doc.get("key") != key:
                return None
            return doc["value"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, value: Any) -> None:
        if not self._usable:
            return
        path = self._path(key)
        shard = os.path.dirname(path)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            if shard not in self._made:
                self._prepare(shard)
            raw = json.dumps({"key": key, "value": value}, ensure_ascii=False, separators=(",", ":"))
            with open(tmp, "wb") as fh:
                fh.write(raw.encode("utf-8", "surrogateescape"))
            os.replace(tmp, path)
        except (OSError, ValueError, TypeError):
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if not os.path.isdir(self.directory):
                self._usable = False

    def _prepare(self, shard: str) -> None:
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, exist_ok=True)
            # Keep the cache out of version control and out of backups.
            for name, text in (
                (".gitignore", "# Created by otpfix.\n*\n"),
                ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# otpfix cache\n"),
            ):
                try:
                    with open(os.path.join(self.directory, name), "x") as fh:
                        fh.write(text)
                except OSError:
                    pass
        os.makedirs(shard, exist_ok=True)
        self._made.add(shard)


# -- FileResult <-> JSON -------------------------------------------------------------------


def dump_findings(findings: Iterable[Finding]) -> list:
    out = []
    for f in findings:
        s = f.span
        fix = None
        if f.fix is not None:
            fix = [f.fix.title, f.fix.applicability.value, [[e.start, e.end, e.text] for e in f.fix.edits]]
        out.append([f.rule, [s.start, s.end, s.line, s.column, s.end_line, s.end_column], f.message, fix])
    return out


def load_findings(path: str, raw: list) -> tuple[Finding, ...]:
    out = []
    for rule, span, message, fix in raw:
        fx = None
        if fix is not None:
            title, applicability, edits = fix
            fx = Fix(title, tuple(Edit(a, b, t) for a, b, t in edits), Applicability(applicability))
        out.append(Finding(rule, path, Span(*span), message, fx))
    return tuple(out)


def dump_result(result: FileResult) -> dict:
    return {"findings": dump_findings(result.findings), "error": result.error}


def load_result(path: str, raw: Mapping[str, Any], original: bytes | None) -> FileResult:
    findings = load_findings(path, raw["findings"])
    error = raw["error"]
    if error is not None and not isinstance(error, str):
        raise ValueError("bad error")
    return FileResult(path=path, findings=findings, original=original, error=error, remaining=findings)
