"""Inline suppression comments.

    foo()  # otpfix:ignore raw-spawn            <- this line
    # otpfix:ignore raw-spawn, process-dict     <- the next line of code
    foo()
    # otpfix:ignore-file process-dict           <- the whole file (before any code only)

Markers are read from tree-sitter `comment` nodes only, so the same text inside a string,
a heredoc or a sigil does nothing. A comment is a marker when its text starts with
`# otpfix:ignore` or `# otpfix:ignore-file` (spaces after `#` allowed); rule ids follow,
separated by commas and/or spaces; an optional reason follows ` -- `.

- A marker that shares its line with code applies to that line.
- A marker alone on its line applies to the next line that is not a comment-only line
  (comment lines in between are skipped, blank lines are not).
- A finding is suppressed when its first line is a marker's line: a multi-line finding is
  suppressed by a marker on (or above) the line where it starts.
- `ignore-file` applies to the whole file, and only when it comes before the first line of
  code (after a shebang or other comments is fine).

`Suppressions` records which (marker, rule) pairs suppressed something, so that the
`unused-ignore` rule can report the rest afterwards (see transforms/unused_ignore.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import AbstractSet, Iterable, Sequence

from tree_sitter import Node

from .syntax import Source, walk
from .types import Edit, Finding, Fix

MARKER = re.compile(r"#[ \t]*otpfix:(?P<kind>ignore-file|ignore)(?=[\s,]|$)")
# Rule-like tokens in the part of the comment after the marker, before any " -- reason".
TOKEN = re.compile(r"[^\s,]+")
REASON = re.compile(r"(?:^|\s)--(?:\s|$)")


@dataclass(frozen=True)
class Token:
    name: str
    start: int  # byte offsets in the file
    end: int


@dataclass
class Marker:
    """One suppression comment."""

    kind: str  # "ignore" or "ignore-file"
    tokens: tuple[Token, ...]
    start: int  # the comment: bytes [start, end) ("\r" excluded)
    end: int
    line: int  # 1-based line of the comment
    own_line: bool  # nothing but whitespace before the comment on its line
    target: int | None  # 1-based line it applies to (line markers); None: nothing
    placed: bool = True  # ignore-file: before any code
    used: set[str] = field(default_factory=set)

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.name for t in self.tokens))

    @property
    def file_level(self) -> bool:
        return self.kind == "ignore-file"


@dataclass(frozen=True)
class Problem:
    """What is wrong with one marker, for `unused-ignore`.

    `unused`: known rules, enabled in this run, that the marker suppressed nothing of.
    `unknown`: names that are no rule id. `misplaced`: an ignore-file after code.
    `empty`: the marker names no rule."""

    marker: Marker
    unused: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    misplaced: bool = False
    empty: bool = False


def _byte_to_line(source: Source, offset: int) -> int:
    return source.line_of(offset) + 1


def parse_markers(source: Source) -> list[Marker]:
    return _parse(source)[0]


def _parse(source: Source) -> tuple[list[Marker], set[int]]:
    """The markers, and the 1-based numbers of the lines that hold only a comment."""
    data = source.data
    if b"otpfix:ignore" not in data:
        return [], set()
    comments = [n for n in _comments(source.root)]
    if not comments:
        return [], set()
    own_line_comment_lines: set[int] = set()
    for c in comments:
        if _first_on_line(source, c.start_byte):
            own_line_comment_lines.add(_byte_to_line(source, c.start_byte))
    first_code = _first_code_byte(source.root)
    last_line = len(source.line_starts)
    markers: list[Marker] = []
    for c in comments:
        start = c.start_byte
        end = min(c.end_byte, source.line_end(start))
        text = data[start:end].decode("utf-8", errors="replace")
        m = MARKER.match(text)
        if m is None:
            continue
        rest_at = m.end()
        rest = text[rest_at:]
        reason = REASON.search(rest)
        if reason is not None:
            rest = rest[: reason.start()]
        tokens = []
        for t in TOKEN.finditer(rest):
            b0 = start + len(text[: rest_at + t.start()].encode("utf-8"))
            b1 = b0 + len(t.group().encode("utf-8"))
            tokens.append(Token(t.group(), b0, b1))
        line = _byte_to_line(source, start)
        own_line = _first_on_line(source, start)
        kind = m.group("kind")
        target: int | None = line
        if kind == "ignore-file":
            target = None
        elif own_line:
            target = line + 1
            while target in own_line_comment_lines:
                target += 1
            if target > last_line:
                target = None
        placed = kind != "ignore-file" or first_code is None or start < first_code
        markers.append(Marker(kind, tuple(tokens), start, end, line, own_line, target, placed))
    return markers, own_line_comment_lines


def _first_on_line(source: Source, offset: int) -> bool:
    """Only blanks (or the UTF-8 byte order mark of the file) before `offset` on its line."""
    start = source.line_start(offset)
    before = source.data[start:offset]
    if start == 0 and before.startswith(b"\xef\xbb\xbf"):
        before = before[3:]
    return before.strip(b" \t") == b""


def _comments(root: Node) -> Iterable[Node]:
    for node in walk(root):
        if node.type == "comment":
            yield node


def _first_code_byte(root: Node) -> int | None:
    for child in root.children:
        if child.type != "comment":
            return child.start_byte
    return None


class Suppressions:
    """The markers of one file and which of them were used."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.markers, self._comment_lines = _parse(source)

    def __bool__(self) -> bool:
        return bool(self.markers)

    def covering(self, finding: Finding) -> Marker | None:
        """The marker that suppresses `finding`: a line marker first, else a file one."""
        line = finding.span.line
        for m in self.markers:
            if not m.file_level and m.target == line and finding.rule in m.rules:
                return m
        for m in self.markers:
            if m.file_level and m.placed and finding.rule in m.rules:
                return m
        return None

    def filter(self, findings: Sequence[Finding]) -> list[Finding]:
        """Findings not suppressed; records which markers were used."""
        if not self.markers:
            return list(findings)
        kept = []
        for f in findings:
            m = self.covering(f)
            if m is None:
                kept.append(f)
            else:
                m.used.add(f.rule)
        return kept

    def problems(
        self, enabled: AbstractSet[str], known: AbstractSet[str], exempt: str = ""
    ) -> list[Problem]:
        """Markers that suppressed nothing (only rules in `enabled` count), name unknown
        rules, name no rule, or are misplaced. A marker naming `exempt` (the
        `unused-ignore` rule itself) is never reported."""
        out = []
        for m in self.markers:
            rules = m.rules
            if exempt and exempt in rules:
                continue
            unknown = tuple(r for r in rules if r not in known)
            if m.file_level and not m.placed:
                out.append(Problem(m, unknown=unknown, misplaced=True))
                continue
            unused = tuple(r for r in rules if r in known and r in enabled and r not in m.used)
            if unused or unknown or not rules:
                out.append(Problem(m, unused=unused, unknown=unknown, empty=not rules))
        return out


    def keep_attached(self, fix: Fix) -> Fix:
        """`fix` with its whole-line insertions moved above the comment lines that hold a
        marker for the line they would land on.

        A fix that inserts a line at the start of line L would otherwise slip in between
        L and an `# otpfix:ignore` on the line above, and the marker would then apply to
        the inserted line instead. Only comment lines are stepped over, so the code the
        fix produces is the same."""
        targets = {m.target for m in self.markers if m.own_line and not m.file_level}
        if not targets or not any(e.start == e.end for e in fix.edits):
            return fix
        source = self.source
        edits = []
        moved = False
        for e in fix.edits:
            if e.start == e.end and e.text.endswith("\n") and source.line_start(e.start) == e.start:
                line = source.line_of(e.start) + 1
                if line in targets:
                    top = line
                    while top - 1 in self._comment_lines:
                        top -= 1
                    if top < line:
                        at = source.line_starts[top - 1]
                        if at == 0 and source.data.startswith(b"\xef\xbb\xbf"):
                            at = 3  # after the byte order mark
                        e = Edit.insert(at, e.text)
                        moved = True
            edits.append(e)
        if not moved:
            return fix
        try:
            return Fix(fix.title, tuple(edits), fix.applicability)
        except ValueError:  # it would now overlap another edit of the same fix
            return fix


# -- fixes -----------------------------------------------------------------------------


def removal_edits(source: Source, marker: Marker, remove: AbstractSet[str]) -> tuple[Edit, ...]:
    """Edits that take the rules in `remove` out of `marker`, or the whole comment when
    no rule would be left. Only bytes of the marker (and, for a whole comment, the
    whitespace before it or its own line) are touched."""
    kept = [t for t in marker.tokens if t.name not in remove]
    if not kept:
        return (_remove_comment(source, marker),)
    edits: list[Edit] = []
    tokens = list(marker.tokens)
    i = 0
    while i < len(tokens):
        if tokens[i].name not in remove:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and tokens[j + 1].name in remove:
            j += 1
        if j + 1 < len(tokens):  # a kept token follows: delete up to it
            edits.append(Edit.delete(tokens[i].start, tokens[j + 1].start))
        else:  # the run ends the list: delete from the end of the kept token before it
            edits.append(Edit.delete(tokens[i - 1].end, tokens[j].end))
        i = j + 1
    return tuple(edits)


def _remove_comment(source: Source, marker: Marker) -> Edit:
    data = source.data
    if marker.own_line:
        start = source.line_start(marker.start)
        if start == 0 and data.startswith(b"\xef\xbb\xbf"):
            start = 3  # keep the byte order mark
        nl = data.find(b"\n", marker.start)
        return Edit.delete(start, nl + 1 if nl != -1 else len(data))
    # After code: also drop the blanks between the code and the comment.
    start = marker.start
    while start > 0 and data[start - 1 : start] in (b" ", b"\t"):
        start -= 1
    return Edit.delete(start, marker.end)
