"""`fix --interactive` driven through a real pseudo-terminal, like a person would."""

from __future__ import annotations

import os
import re
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from test_cli import DOWN

TWO = DOWN.replace(
    b"  end\nend\n",
    b"  end\n\n  def handle_info({:DOWN, _, :process, _, _}, state), do: {:noreply, state}\nend\n",
)
PROMPT = b"[q]uit: "


class Terminal:
    def __init__(self, args: list[str], cwd: Path, env_extra: dict[str, str] | None = None):
        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update({"TERM": "xterm-256color", "COLUMNS": "120", **(env_extra or {})})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "otpfix", *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env
        )
        os.close(slave)
        self.screen = b""

    def read_until(self, marker: bytes, timeout: float = 60) -> bytes:
        deadline = time.monotonic() + timeout
        while marker not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {marker!r}; screen so far:\n{self.screen.decode(errors='replace')}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.screen += chunk
        start = self.screen.index(marker) + len(marker)
        seen, self.screen = self.screen[:start], self.screen[start:]
        return seen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 60) -> tuple[int, bytes]:
        rest = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                rest += chunk
            elif self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=timeout)
        os.close(self.master)
        return code, self.screen + rest


def test_yes_then_no_writes_only_the_accepted_fix(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(TWO)
    t = Terminal(["fix", "--interactive", "a.ex"], tmp_path)
    first = t.read_until(PROMPT)
    assert b"demonitor-down" in first and b"[1/2]" in first
    assert b"\x1b[" in first, "a colour-capable terminal gets colour"
    t.type("y\n")
    second = t.read_until(PROMPT)
    assert b"[2/2]" in second
    t.type("n\n")
    code, rest = t.finish()
    assert code == 0, rest
    out = (tmp_path / "a.ex").read_bytes()
    assert out.count(b"Process.demonitor") == 1
    assert b"def handle_info({:DOWN, _, :process, _, _}, state), do: {:noreply, state}" in out


def test_all_of_rule_accepts_the_rest(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(TWO)
    t = Terminal(["fix", "-i", "a.ex"], tmp_path)
    t.read_until(PROMPT)
    t.type("a\n")
    code, rest = t.finish()
    assert code == 0, rest
    assert (tmp_path / "a.ex").read_bytes().count(b"Process.demonitor") == 2


def test_quit_asks_before_writing(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(TWO)
    t = Terminal(["fix", "-i", "a.ex"], tmp_path)
    t.read_until(PROMPT)
    t.type("y\n")
    t.read_until(PROMPT)
    t.type("q\n")
    t.read_until(b"[y/N]: ")
    t.type("n\n")
    code, rest = t.finish()
    assert code == 0 and b"nothing written" in rest
    assert (tmp_path / "a.ex").read_bytes() == TWO

    t = Terminal(["fix", "-i", "a.ex"], tmp_path)
    t.read_until(PROMPT)
    t.type("y\n")
    t.read_until(PROMPT)
    t.type("q\n")
    t.read_until(b"[y/N]: ")
    t.type("y\n")
    code, _ = t.finish()
    assert code == 0
    assert (tmp_path / "a.ex").read_bytes().count(b"Process.demonitor") == 1


def test_no_colour_when_asked(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(DOWN)
    t = Terminal(["fix", "-i", "a.ex"], tmp_path, {"NO_COLOR": "1"})
    first = t.read_until(PROMPT)
    assert not re.search(rb"\x1b\[[0-9;]*3[0-9]m", first), "NO_COLOR: no colour codes"
    assert b"demonitor-down" in first
    t.type("n\n")
    code, _ = t.finish()
    assert code == 0 and (tmp_path / "a.ex").read_bytes() == DOWN


def test_refuses_without_a_terminal(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(DOWN)
    r = subprocess.run(
        [sys.executable, "-m", "otpfix", "fix", "--interactive", "a.ex"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=tmp_path,
    )
    assert r.returncode == 2 and "needs a terminal" in r.stderr
    assert (tmp_path / "a.ex").read_bytes() == DOWN


def test_explain_renders_markdown_on_a_terminal_and_plain_text_when_piped(tmp_path: Path):
    t = Terminal(["explain", "demonitor-down"], tmp_path)
    code, screen = t.finish()
    assert code == 0
    text = screen.decode("utf-8", errors="replace")
    assert "\x1b[" in text, "a terminal gets styled output"
    assert "## What it does" not in text, "headings are rendered, not shown as markdown"
    assert "What it does" in text
    piped = subprocess.run(
        [sys.executable, "-m", "otpfix", "explain", "demonitor-down"], capture_output=True, text=True
    )
    assert piped.returncode == 0
    assert "## What it does" in piped.stdout and "\x1b[" not in piped.stdout


def test_accepted_fixes_sharing_a_helper_are_all_applied(tmp_path: Path):
    golden = Path(__file__).resolve().parent.parent / "golden" / "demonitor-on-remove"
    (tmp_path / "d.ex").write_bytes((golden / "drop_and_pipe.ex").read_bytes())
    t = Terminal(["fix", "-i", "--select", "demonitor-on-remove", "d.ex"], tmp_path)
    t.read_until(PROMPT)
    t.type("y\n")
    t.read_until(PROMPT)
    t.type("y\n")
    code, rest = t.finish()
    assert code == 0, rest
    assert (tmp_path / "d.ex").read_bytes() == (golden / "drop_and_pipe.expected.ex").read_bytes()
