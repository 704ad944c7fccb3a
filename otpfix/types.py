"""Frozen data shared by the engine, the transforms and the reporters.

Everything here is plain, immutable and picklable: a `FileResult` is the only thing that
crosses a process boundary.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


class Applicability(str, enum.Enum):
    """How much a fix can be trusted.

    SAFE: the meaning of the program is preserved (or the change is purely additive and
    documented as such). UNSAFE: behaviour changes on purpose and the result needs review.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Edit:
    """Replace bytes [start, end) of the file with `text` (UTF-8, "\\n" line endings).

    `start == end` inserts; an empty `text` deletes. The engine converts "\\n" in `text` to
    the line ending of the file where the edit lands.
    """

    start: int
    end: int
    text: str = ""

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end):
            raise ValueError(f"bad edit range {self.start}..{self.end}")

    @classmethod
    def insert(cls, at: int, text: str) -> "Edit":
        return cls(at, at, text)

    @classmethod
    def delete(cls, start: int, end: int) -> "Edit":
        return cls(start, end, "")


@dataclass(frozen=True)
class Fix:
    """One logical change: edits applied together or not at all."""

    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    def __post_init__(self) -> None:
        edits = tuple(sorted(self.edits))
        for a, b in zip(edits, edits[1:]):
            if b.start < a.end:
                raise ValueError(f"fix {self.title!r} has overlapping edits {a} and {b}")
        object.__setattr__(self, "edits", edits)

    @property
    def start(self) -> int:
        return self.edits[0].start if self.edits else 0

    @property
    def end(self) -> int:
        return self.edits[-1].end if self.edits else 0


@dataclass(frozen=True)
class Span:
    """A byte range plus 1-based line/column (columns count characters) for display."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    span: Span
    message: str
    fix: Fix | None = None
    #: Stable identity for baselines (see otpfix.fingerprint); set by the engine.
    fingerprint: str = ""
    #: True when a baseline lists this finding (reported, but not failing the run).
    baselined: bool = False

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.span.start, self.span.end, self.rule, self.message)


@dataclass(frozen=True)
class FileError:
    path: str
    message: str


@dataclass(frozen=True)
class FileResult:
    """Everything otpfix learned about one file.

    `findings` are reported against the original bytes. `fixed` is the new content (bytes,
    exactly as it would be written) when at least one fix was applied, else None. `applied`
    names the rules whose fixes made it into `fixed`, in application order, one entry per
    applied fix. `notes` are non-fatal messages (a fix dropped because it broke the parse).
    `error` is set when the file could not be processed (fully): it is then left alone;
    findings found before the problem (in a file with syntax errors) are still reported.
    `original` is the content that was read. To keep memory bounded, `api.run` keeps it only
    where it is needed (a fix was applied, or a finding carries a fix whose positions a
    report may compute); elsewhere it is None. A FileResult never holds a syntax tree.
    """

    path: str
    findings: tuple[Finding, ...] = ()
    original: bytes | None = None
    fixed: bytes | None = None
    applied: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None
    #: Findings on the final content (after fixes): what is left for the user to handle.
    remaining: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return self.fixed is not None and self.fixed != self.original


@dataclass(frozen=True)
class RunOptions:
    """One object for every run setting; the CLI builds it, the engine reads it."""

    select: tuple[str, ...] | None = None  # None: every default-enabled rule
    ignore: tuple[str, ...] = ()
    safe_only: bool = False
    fix: bool = False  # compute fixes (diff/fix) or only findings (scan)
    jobs: int = 1  # worker processes; 0: one per available core. Small runs stay serial.
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    include_tests: bool = False  # rules that skip test files by default see them too
    max_file_size: int = 10 * 1024 * 1024
    max_passes: int = 10
    baseline: str | None = None  # the config's baseline file (scan uses it without --baseline)
    #: When set, only fixes of findings whose (path, fingerprint) is listed are applied
    #: (`fix --interactive` re-runs the engine with the fixes the user accepted).
    accept: frozenset[tuple[str, str]] | None = None
    #: Globs (otpfix/globs.py) of files and directories to leave out of discovery.
    exclude: tuple[str, ...] = ()
    #: (glob, rule ids): those rules are not run on the files the glob matches.
    per_path_ignore: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The directory `exclude` and `per_path_ignore` globs are relative to (the directory
    #: of the .otpfix.toml); None: the current directory.
    root: str | None = None
    #: Result cache directory (`.otpfix_cache/`); None: no cache.
    cache_dir: str | None = None
    #: Show a progress bar on stderr (only when it is a terminal and the run is large).
    progress: bool = False
