"""The Transform base class and the read-only Context a transform works on.

A transform is pure: it reads `ctx` and yields findings. No file I/O, no subprocess, no
state kept between files. Rules that need facts from other files (for example a
supervisor whose children live elsewhere) implement `collect`, which the engine runs on
every scanned file first; the merged facts reach `check` as `ctx.project`.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any, ClassVar, Hashable, Iterable, Iterator, Mapping

from tree_sitter import Node

from .syntax import Source
from .types import Applicability, Edit, Finding, Fix, Span


class Transform:
    """Base class. Subclasses set the class attributes and implement `check`.

    The class docstring is the rule's documentation, printed by `otpfix explain`: a first
    line, then sections `## What it does`, `## Why`, `## Example`, `## Fix safety`.
    """

    id: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    fixable: ClassVar[bool] = False
    #: Default rule options; users override them per rule (config or API).
    default_options: ClassVar[Mapping[str, Any]] = {}
    #: Rules that skip test files (test/ directories, *_test.exs) unless asked.
    skip_tests: ClassVar[bool] = False
    #: Exact byte pre-filter of `check`: a file that contains none of these cannot match
    #: the rule (it is not parsed for it). Empty means "always run".
    needles: ClassVar[tuple[bytes, ...]] = ()
    #: Exact byte pre-filter of `collect`: a file that contains none of these has no facts.
    #: Empty means "every file".
    collect_needles: ClassVar[tuple[bytes, ...]] = ()
    #: Rules that are off unless selected explicitly.
    default_enabled: ClassVar[bool] = True
    #: Rules that judge the suppression comments: they run after the other rules' findings
    #: were suppressed and read `ctx.suppressions` and `ctx.enabled` (see unused-ignore).
    after_suppression: ClassVar[bool] = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        merged = dict(self.default_options)
        for key, value in (options or {}).items():
            if key not in merged:
                raise ValueError(f"rule {self.id}: unknown option {key!r}")
            merged[key] = value
        self.options: Mapping[str, Any] = merged

    # -- to implement --------------------------------------------------------------------
    def collect(self, ctx: "Context") -> Any:
        """Project-wide facts from one file (plain data), or None. Optional."""
        return None

    def provides(self, data: bytes) -> Iterable[bytes] | None:
        """Keys under which `check` can find this file's facts, from the bytes alone (no
        parse): exact like `needles`, over-approximating (a key the facts do not hold
        costs a `collect`, a missing one is a bug). None (the default): any key. See
        `wanted`; for facts about modules, `syntax.defined_module_keys` is the usual
        answer."""
        return None

    def wanted(self, ctx: "Context") -> Iterable[bytes] | None:
        """Keys of the facts `check` can read on this file (project-aware rules only).

        Called on a file the rule will check, before any facts exist: `check` on this
        file reads only facts of files that provide one of these keys (`provides`, or
        None there). A wanted key may be finer than the provided ones: `b"Mod/fun"` is
        provided by a file that provides `b"Mod"` (facts about a function of a module).
        None (the default) means "every file". The engine runs `collect` only on the
        files some checked file wants, plus those `wanted_next` adds."""
        return None

    def wanted_next(self, facts: Any, keys: frozenset[bytes] | None = None) -> Iterable[bytes] | None:
        """Keys of further facts `check` can reach by following `facts` (what `collect`
        returned for one wanted file), as for `wanted`; None for "every file". `keys`:
        the wanted keys this file provides that were not followed in it yet (the engine
        calls again when more of its keys are wanted later); None: all of `facts`.
        Default: none (facts are not followed into other files)."""
        return ()

    def facts_key(self) -> Hashable | None:
        """Rules returning the same key (not None) collect the same facts from any file:
        the same `collect` with the same options. The engine then collects a file for
        all of them in one call (the facts computed once) when it collects it for one,
        which they may read or not (a rule reads only what it wants). Default: None."""
        return None

    def check(self, ctx: "Context") -> Iterable[Finding]:
        raise NotImplementedError

    # -- metadata ------------------------------------------------------------------------
    @classmethod
    def uses_project(cls) -> bool:
        return cls.collect is not Transform.collect

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or cls.summary)

    def could_match(self, data: bytes) -> bool:
        """Exact pre-filter of `check` before parsing (rules may refine it with options)."""
        if not self.needles:
            return True
        for needle in self.needles:  # a loop: cheaper than any() over a generator
            if needle in data:
                return True
        return False

    def could_collect(self, data: bytes) -> bool:
        """Exact pre-filter of `collect` before parsing."""
        return not self.collect_needles or any(n in data for n in self.collect_needles)


_TEST_PATH = re.compile(r"(^|/)test/|_test\.exs$")


@functools.lru_cache(maxsize=4096)
def is_test_path(path: str) -> bool:
    # (Asked two or three times per file in a run: remembered.)
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


class Context:
    """What a transform may read about the file under check."""

    def __init__(
        self,
        source: Source,
        path: str,
        project: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self._project = project or {}
        self._rule: Transform | None = None
        #: The file's suppression comments, with what they suppressed in this check
        #: (set by the engine before the `after_suppression` rules run).
        self.suppressions: Any = None
        #: Ids of the rules enabled for this file in this run.
        self.enabled: frozenset[str] = frozenset()
        #: When the bytes under check are the output of fixes made earlier in this run:
        #: (the bytes as read, the findings on them); None on the file as read.
        self.baseline: tuple[bytes, tuple[Finding, ...]] | None = None

    # Set by the engine before each rule runs.
    def for_rule(self, rule: Transform) -> "Context":
        self._rule = rule
        return self

    @property
    def project(self) -> Mapping[str, Any]:
        """Facts collected by this rule's `collect`, keyed by path."""
        assert self._rule is not None
        return self._project.get(self._rule.id, {})

    @property
    def data(self) -> bytes:
        return self.source.data

    @property
    def root(self) -> Node:
        return self.source.root

    def text(self, node: Node) -> str:
        return self.source.text(node)

    def matches(self, query: str, node: Node | None = None) -> list[dict[str, list[Node]]]:
        return self.source.matches(query, node)

    def captures(self, query: str, name: str, node: Node | None = None) -> list[Node]:
        return self.source.captures(query, name, node)

    def span(self, start: int, end: int) -> Span:
        line, column = self.source.position(start)
        end_line, end_column = self.source.position(end)
        return Span(start, end, line, column, end_line, end_column)

    def finding(
        self,
        node: Node | tuple[int, int],
        message: str,
        fix: Fix | None = None,
        rule: Transform | None = None,
    ) -> Finding:
        rule = rule or self._rule
        assert rule is not None
        if isinstance(node, tuple):
            start, end = node
        else:
            start, end = node.start_byte, node.end_byte
        return Finding(rule.id, self.path, self.span(start, end), message, fix)


def make_fix(title: str, edits: Iterable[Edit], safe: bool = True) -> Fix:
    return Fix(title, tuple(edits), Applicability.SAFE if safe else Applicability.UNSAFE)


def iter_findings(findings: Iterable[Finding] | None) -> Iterator[Finding]:
    if findings is None:
        return iter(())
    return iter(findings)
