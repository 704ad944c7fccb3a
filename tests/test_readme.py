"""The README's two commands exist, and CI runs the README's test command verbatim."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && python -m pytest -q"
RUN_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install . && otpfix diff examples/legacy_app"


def test_readme_commands_and_ci_agree():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in readme
    assert RUN_COMMAND in readme
    assert TEST_COMMAND in ci.splitlines()


def test_readme_lists_every_rule():
    from otpfix import registry

    readme = (ROOT / "README.md").read_text()
    for rule in registry.rule_ids():
        assert f"`{rule}`" in readme, f"README's rules table lacks {rule}"
