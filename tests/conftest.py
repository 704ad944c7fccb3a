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
