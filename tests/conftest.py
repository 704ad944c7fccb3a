import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from otpfix.elixir import REQUIRE_ENV, elixir_path  # noqa: E402


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden expected outputs and findings from the current code",
    )


def require_elixir() -> str:
    """Path of `elixir`; skips the test when it is missing, fails under OTPFIX_REQUIRE_ELIXIR=1."""
    exe = elixir_path()
    if exe is None:
        reason = "`elixir` is not on PATH (apt-get install -y elixir)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires it")
        pytest.skip(reason)
    return exe


@pytest.fixture
def elixir() -> str:
    return require_elixir()


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def run_elixir(tmp_path: Path, script: str, files: dict[str, bytes | str] | None = None, timeout: float = 300):
    """Write `files` into tmp_path, then run `elixir -r f1 -r f2 ... script.exs` there.

    Returns the CompletedProcess (text mode). Use it for real-BEAM proofs: the script
    prints what it observed and/or exits non-zero (System.halt(1)) when a claim fails.
    """
    import subprocess

    exe = require_elixir()
    args = [exe]
    for name, content in (files or {}).items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        args += ["-r", str(p)]
    script_path = tmp_path / "proof.exs"
    script_path.write_text(script)
    args.append(str(script_path))
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
