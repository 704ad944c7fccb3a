"""Real BEAM: what mix-env-runtime claims. Compiled code that reads `Mix.env()` in a
function raises where Mix is absent (a release); a module attribute does not."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import require_elixir
from golden_cases import GOLDEN

ERL_EVAL = """
io:format("mix: ~p~n", [code:which('Elixir.Mix')]),
io:format("compile-time: ~p~n", ['Elixir.Golden.MixEnvRuntime.CompileTime':'debug?'()]),
R = try 'Elixir.Golden.MixEnvRuntime.RuntimeDef':'debug?'() catch error:undef -> undef end,
io:format("runtime: ~p~n", [R]),
halt().
"""


def test_runtime_mix_env_is_undefined_without_mix(tmp_path):
    elixir = require_elixir()
    erl = shutil.which("erl")
    if erl is None:
        pytest.skip("erl is not on PATH")
    out = tmp_path / "ebin"
    out.mkdir()
    sources = [str(GOLDEN / "mix-env-runtime" / n) for n in ("compile_time.ex", "runtime_def.ex")]
    # Build with Mix running, as `mix compile` does.
    build = (
        "Mix.start(); {:ok, _, _} = Kernel.ParallelCompiler.compile_to_path("
        f"{sources!r}, {str(out)!r}); IO.puts(:code.lib_dir(:elixir))"
    ).replace("'", '"')
    proc = subprocess.run([elixir, "-e", build], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    elixir_lib = proc.stdout.strip().splitlines()[-1]
    # Run like a release: the elixir application's code, no mix.
    proc = subprocess.run(
        [erl, "-noshell", "-pa", os.path.join(elixir_lib, "ebin"), "-pa", str(out), "-eval", ERL_EVAL],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "mix: non_existing",
        "compile-time: true",  # @env was read at build time (:dev)
        "runtime: undef",  # Mix.env/0 is undefined: UndefinedFunctionError in Elixir
    ], proc.stdout
