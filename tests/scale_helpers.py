"""Shared fixtures for the scale tests: a generated Elixir tree and a project-aware rule."""

from __future__ import annotations

from pathlib import Path

from otpfix import registry, syntax
from otpfix.syntax import call_args, call_name, module_name, text_of
from otpfix.transform import Context, Transform

DOWN_CLAUSE = """\
  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end
"""


COMPLIANT_DOWN = """\
  def handle_info({:DOWN, ref, :process, pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end
"""


def module_source(i: int, calls: list[int], down: bool, compliant: bool = False) -> str:
    body = [f"defmodule Gen.M{i} do", "  use GenServer", ""]
    body.append(f"  def run(x), do: {' + '.join(f'Gen.M{c}.value(x)' for c in calls) or 'x'}")
    body.append(f"  def value(x), do: x + {i}")
    if down or compliant:
        body.append("")
        body.append((COMPLIANT_DOWN if compliant else DOWN_CLAUSE).rstrip("\n"))
    body.append("end")
    return "\n".join(body) + "\n"


def generate_tree(root: Path, count: int = 150) -> list[Path]:
    """`count` modules calling each other, :DOWN handlers to fix in every third one and
    correct ones in every third, plus the
    awkward files: a test file, a syntax error, invalid UTF-8, CRLF, a BOM, non-ASCII."""
    paths = []
    for i in range(count):
        sub = root / "lib" / f"part{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        calls = [(i * 7 + k) % (count + 5) for k in range(1, 3)]  # some call missing modules
        p = sub / f"m{i}.ex"
        p.write_text(module_source(i, calls, down=i % 3 == 0, compliant=i % 3 == 1))
        paths.append(p)
    extra = {
        "test/gen_test.exs": module_source(900, [1], down=True),
        "lib/broken.ex": "defmodule Gen.Broken do\n  def handle_info({:DOWN, r, :process, _, _}, s) do\n",
        "lib/crlf.ex": module_source(901, [2], down=True).replace("\n", "\r\n"),
        "lib/bom.ex": "\ufeff" + module_source(902, [3], down=True),
        "lib/unicode.ex": module_source(903, [4], down=True).replace("Map.delete", "Map.delete(%{\"é\" => 1}, :ü) && Map.delete"),
    }
    for rel, text in extra.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, newline="")
        paths.append(p)
    bad = root / "lib" / "latin1.ex"
    bad.write_bytes(b"defmodule Gen.Latin1 do\n  # caf\xe9\nend\n")
    paths.append(bad)
    return paths


class RemoteCalls(Transform):
    """Test rule: report calls to modules defined in another file of the project.

    ## What it does
    Collects the modules each file defines; reports `Mod.fun(...)` calls whose module is
    defined in a different file.
    """

    id = "test-remote-calls"
    summary = "Report calls into modules defined in other files (test rule)"
    needles = (b"Gen.",)
    default_enabled = False

    QUERY = "(call target: (dot left: (alias))) @call"
    DEFS = '(call target: (identifier) @kw (#eq? @kw "defmodule")) @mod'

    def collect(self, ctx: Context):
        names = {module_name(m) for m in ctx.captures(self.DEFS, "mod")}
        return {"modules": frozenset(n for n in names if n), "count": (len(names),)}

    def check(self, ctx: Context):
        owners: dict[str, str] = {}
        for path in sorted(ctx.project):
            for name in sorted(ctx.project[path]["modules"]):
                owners.setdefault(name, path)
        for call in ctx.captures(self.QUERY, "call"):
            name = call_name(call)
            if name is None:
                continue
            module = name.rsplit(".", 1)[0]
            owner = owners.get(module)
            if owner is not None and owner != ctx.path:
                yield ctx.finding(call, f"calls {module}, defined in {owner}")


def register_test_rule(monkeypatch) -> None:
    """Make RemoteCalls a registered rule (also in forked workers)."""
    extra = tuple(registry.all_transforms()) + (RemoteCalls,)
    monkeypatch.setattr(registry, "all_transforms", lambda: tuple(sorted(extra, key=lambda t: t.id)))


class ParseCounter:
    """Counts tree-sitter parses in this process."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        original = syntax.parse

        def counting(data: bytes):
            self.count += 1
            return original(data)

        monkeypatch.setattr(syntax, "parse", counting)


__all__ = ["generate_tree", "RemoteCalls", "register_test_rule", "ParseCounter", "call_args", "text_of"]


def crash_worker_on(monkeypatch, module, name: str, suffix: str):
    """Replace `module.name` (a function whose first argument is a path) by one that kills
    its process, as a crash in a C extension would, when the path ends with `suffix`;
    returns the original function."""
    import os

    original = getattr(module, name)

    def crash(path, *args, **kwargs):
        if path.endswith(suffix):
            os._exit(1)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(module, name, crash)
    return original


class ParseLog:
    """Logs every tree-sitter parse, in this process and in the workers it forks (a line
    per parse, the SHA-1 of the bytes, appended to `path`)."""

    def __init__(self, monkeypatch, path: Path) -> None:
        import hashlib
        import os

        self.path = path
        path.write_text("")
        original = syntax.parse

        def logging(data: bytes):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, hashlib.sha1(data).hexdigest().encode() + b"\n")
            finally:
                os.close(fd)
            return original(data)

        monkeypatch.setattr(syntax, "parse", logging)

    def counts(self) -> dict[str, int]:
        from collections import Counter

        return dict(Counter(self.path.read_text().split()))
