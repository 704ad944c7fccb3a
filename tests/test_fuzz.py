"""Property tests over every golden input, with valid mutations and byte corruptions.

Properties: otpfix never raises and never reports an internal error; it never writes a file
with a syntax error (it refuses to fix files that had one); fixing is idempotent; a file with
no findings comes back byte-identical.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden_cases import discover
from otpfix import registry
from otpfix.engine import process_source
from otpfix.syntax import Source, error_count, walk
from otpfix.types import RunOptions

INPUTS = sorted(
    {(f"{c.id}/{rel}", (c.root / rel).read_bytes()) for c in discover() for rel in c.inputs}
)
RULES = registry.resolve(None)
FIX = RunOptions(fix=True)
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def rename_identifier(data: bytes, pick: int) -> bytes:
    source = Source(data)
    names = sorted({source.text(n) for n in walk(source.root) if n.type == "identifier"})
    names = [n for n in names if not n.startswith("_") and n not in ("def", "defp", "do", "end")]
    if not names:
        return data
    name = names[pick % len(names)].encode()
    out, pos = bytearray(), 0
    for n in walk(source.root):
        if n.type == "identifier" and data[n.start_byte : n.end_byte] == name:
            out += data[pos : n.start_byte] + b"renamed_" + name
            pos = n.end_byte
    return bytes(out + data[pos:])


def add_comments(data: bytes, positions: list[int]) -> bytes:
    lines = data.split(b"\n")
    for p in sorted(positions, reverse=True):
        i = p % (len(lines) + 1)
        lines.insert(i, b"# fuzz comment" if p % 2 else b"")
    return b"\n".join(lines)


TRAILERS = (b" # fuzz", b" # otpfix:ignore process-dict", b" # otpfix:ignore raw-spawn, demonitor-down")


def add_trailing_comments(data: bytes, positions: list[int]) -> bytes:
    """Comments (and suppression markers) at the end of code lines."""
    lines = data.split(b"\n")
    for p in positions:
        i = p % len(lines)
        body = lines[i].rstrip(b"\r")
        if body.strip() and b"#" not in body:
            lines[i] = body + TRAILERS[p % len(TRAILERS)] + lines[i][len(body):]
    return b"\n".join(lines)


def swap_clauses(data: bytes, pick: int) -> bytes:
    source = Source(data)
    defs = [
        n
        for n in walk(source.root)
        if n.type == "call" and source.text(n).startswith(("def ", "defp "))
    ]
    pairs = [(a, b) for a, b in zip(defs, defs[1:]) if a.parent == b.parent and a.end_byte <= b.start_byte]
    if not pairs:
        return data
    a, b = pairs[pick % len(pairs)]
    return (
        data[: a.start_byte]
        + data[b.start_byte : b.end_byte]
        + data[a.end_byte : b.start_byte]
        + data[a.start_byte : a.end_byte]
        + data[b.end_byte :]
    )


def to_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@st.composite
def mutated(draw):
    name, data = draw(st.sampled_from(INPUTS))
    steps = ["rename", "comments", "trailing", "swap", "crlf"]
    for step in draw(st.lists(st.sampled_from(steps), max_size=4)):
        if step == "rename":
            data = rename_identifier(data, draw(st.integers(0, 1000)))
        elif step == "comments":
            data = add_comments(data, draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=5)))
        elif step == "trailing":
            data = add_trailing_comments(data, draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=6)))
        elif step == "swap":
            data = swap_clauses(data, draw(st.integers(0, 1000)))
        else:
            data = to_crlf(data)
    return name, data


@st.composite
def corrupted(draw):
    name, data = draw(st.sampled_from(INPUTS))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if op == "flip":
            buf[i] = byte
        elif op == "insert":
            buf.insert(i, byte)
        else:
            del buf[i]
    return name, bytes(buf)


def check_properties(name: str, data: bytes) -> None:
    result = process_source(name, data, RULES, FIX)
    assert result.error is None or not result.error.startswith("internal error"), result.error
    if result.fixed is not None:
        assert result.error is None
        assert error_count(Source(result.fixed).root) == 0, "a fix introduced a syntax error"
        assert error_count(Source(data).root) == 0, "a file with syntax errors was fixed"
        again = process_source(name, result.fixed, RULES, FIX)
        assert again.fixed is None, "fixing the output changed it again"
    if not result.findings:
        assert result.fixed is None, "a file without findings changed"


def test_inputs_exist():
    assert len(INPUTS) >= 10


@SETTINGS
@given(mutated())
def test_valid_mutations(case):
    check_properties(*case)


@SETTINGS
@given(corrupted())
def test_byte_corruptions(case):
    check_properties(*case)
