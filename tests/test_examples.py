"""The bundled legacy app compiles with real Elixir before and after `otpfix fix`."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import require_elixir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "legacy_app"


def _elixirc(app: Path, out: Path) -> subprocess.CompletedProcess:
    require_elixir()
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(str(p) for p in (app / "lib").rglob("*.ex"))
    return subprocess.run(
        ["elixirc", "--ignore-module-conflict", "-o", str(out), *sources],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_examples_compile_before_and_after_fix(tmp_path: Path):
    before = _elixirc(EXAMPLES, tmp_path / "before")
    assert before.returncode == 0, before.stderr
    app = tmp_path / "legacy_app"
    shutil.copytree(EXAMPLES, app)
    r = subprocess.run([sys.executable, "-m", "otpfix", "fix", str(app)], capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    assert "fixed" in r.stderr
    after = _elixirc(app, tmp_path / "after")
    assert after.returncode == 0, after.stderr
