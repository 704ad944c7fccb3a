"""The real Elixir toolchain as an oracle: parse or compile many files in one BEAM."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from typing import Mapping

REQUIRE_ENV = "OTPFIX_REQUIRE_ELIXIR"


class ElixirUnavailable(RuntimeError):
    """`elixir` is not on PATH, or it ran but did not give a verdict for every file."""


def elixir_path() -> str | None:
    return shutil.which("elixir")


def check_sources(
    sources: Mapping[str, bytes], mode: str = "parse", timeout: float = 600
) -> dict[str, str | None]:
    """{name: None if Elixir accepts it, else Elixir's one-line message}.

    `mode` is "parse" (Code.string_to_quoted) or "compile" (also Code.compile_string).
    Files are copied to a temporary directory; nothing of the user's is touched. Raises
    ElixirUnavailable when `elixir` is not on PATH or does not answer for every file (a
    crash, a broken install): a missing verdict is never read as a pass.
    """
    if mode not in ("parse", "compile"):
        raise ValueError(mode)
    exe = elixir_path()
    if exe is None:
        raise ElixirUnavailable("`elixir` is not on PATH (Debian/Ubuntu: apt-get install -y elixir)")
    names = list(sources)
    if not names:
        return {}
    script = resources.files("otpfix").joinpath("elixir_scripts/check.exs").read_text()
    with tempfile.TemporaryDirectory(prefix="otpfix-elixir-") as tmp:
        paths = []
        for i, name in enumerate(names):
            # Index-only names: a user's file name may hold newlines or other characters
            # the manifest (one path per line) cannot carry.
            ext = ".exs" if name.endswith(".exs") else ".ex"
            path = os.path.join(tmp, f"{i:06d}{ext}")
            with open(path, "wb") as fh:
                fh.write(sources[name])
            paths.append(path)
        manifest = os.path.join(tmp, "manifest.txt")
        with open(manifest, "w", encoding="utf-8") as fh:
            fh.write("\n".join(paths) + "\n")
        script_path = os.path.join(tmp, "check.exs")
        with open(script_path, "w", encoding="utf-8") as fh:
            fh.write(script)
        proc = subprocess.run(
            [exe, script_path, mode, manifest],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp,
        )
    results: dict[str, str | None] = {}
    for line in proc.stdout.splitlines():
        parts = line.split("\t", 2)
        if len(parts) >= 2 and parts[0] in ("OK", "ERR") and parts[1].isdigit():
            name = names[int(parts[1])]
            results[name] = None if parts[0] == "OK" else (parts[2] if len(parts) > 2 else "error")
    missing = [n for n in names if n not in results]
    if missing:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ElixirUnavailable(
            f"elixir gave no verdict on {len(missing)} of {len(names)} files "
            f"(exit {proc.returncode}): {detail[0]}"
        )
    return results
