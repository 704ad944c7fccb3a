"""`otpfix init`: a valid commented config with every rule's options at their defaults."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from otpfix import config, registry
from test_cli import otpfix


def test_init_writes_a_config_that_loads_and_documents_every_default(tmp_path: Path):
    r = otpfix("init", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / ".otpfix.toml").read_text()
    loaded = config.load(str(tmp_path / ".otpfix.toml"))
    assert loaded.baseline is None  # commented out until a baseline is written
    assert all(not opts for opts in loaded.rule_options.values())  # everything commented out

    # Uncommenting every option line gives a valid config equal to the defaults.
    uncommented = re.sub(r"(?m)^# (?=[a-z_\"]+ = )", "", text)
    uncommented = "\n".join(
        line for line in uncommented.splitlines()
        if not line.startswith(("select", "ignore", "exclude", "include-tests", "max-file-size", '"lib/legacy', "baseline"))
    )
    (tmp_path / "full.toml").write_text(uncommented)
    full = config.load(str(tmp_path / "full.toml"))
    for cls in registry.all_transforms():
        assert f"[rules.{cls.id}]" in text
        for name, default in cls.default_options.items():
            if name in full.rule_options.get(cls.id, {}):
                got = full.rule_options[cls.id][name]
                assert list(got) == list(default) if isinstance(default, (list, tuple)) else got == default
            else:
                assert f"{name} = ...  (default:" in text, f"{cls.id}.{name} neither settable nor explained"
    tomllib.loads(text)


def test_init_refuses_to_overwrite(tmp_path: Path):
    (tmp_path / ".otpfix.toml").write_text("# mine\n")
    r = otpfix("init", cwd=tmp_path)
    assert r.returncode == 2 and "exists" in r.stderr
    assert (tmp_path / ".otpfix.toml").read_text() == "# mine\n"
    assert otpfix("init", "--force", cwd=tmp_path).returncode == 0


def test_init_prints_a_workflow_with_sarif_upload_and_fix_branch(tmp_path: Path):
    r = otpfix("init", cwd=tmp_path)
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(r.stdout)
    steps = [s.get("run", "") for s in workflow["jobs"]["scan"]["steps"]]
    assert any("otpfix scan --format sarif" in s for s in steps)
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in workflow["jobs"]["scan"]["steps"])
    assert any("otpfix fix --branch" in s.get("run", "") for s in workflow["jobs"]["fix-branch"]["steps"])


def test_configured_baseline_is_used_by_scan(tmp_path: Path):
    (tmp_path / "a.ex").write_bytes(b"defmodule A do\n  def handle_info({:DOWN, _r, :process, _, _}, s), do: {:noreply, s}\nend\n")
    assert otpfix("init", cwd=tmp_path).returncode == 0
    cfg = tmp_path / ".otpfix.toml"
    cfg.write_text(cfg.read_text().replace('# baseline = ".otpfix-baseline.json"', 'baseline = ".otpfix-baseline.json"'))
    r = otpfix("scan", cwd=tmp_path)
    assert r.returncode == 1 and "does not exist yet" in r.stderr
    assert otpfix("scan", "--write-baseline", ".otpfix-baseline.json", cwd=tmp_path).returncode == 1
    r = otpfix("scan", cwd=tmp_path)
    assert r.returncode == 0 and "1 more in the baseline" in r.stderr
