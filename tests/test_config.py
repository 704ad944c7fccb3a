""".otpfix.toml: discovery, validation (exit 2), merging with flags, per-path, exclude."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from otpfix import api, config, globs, registry
from otpfix.cli import app
from otpfix.transform import Context, Transform
from otpfix.types import RunOptions

# One demonitor-down finding (the :DOWN handler) in a compilable module.
DOWN = b"""defmodule M do
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    {:noreply, {ref, state}}
  end
end
"""


class FakeOptions(Transform):
    """Test rule: reports its options on every file that says `fake_options`."""

    id = "fake-options"
    summary = "test"
    default_options = {
        "supervisor": None,
        "strict": False,
        "max_lines": 1000,
        "ratio": 0.5,
        "raisers": {},
        "calls": ("Process.sleep",),
        "name": "x",
    }

    def check(self, ctx: Context):
        if b"fake_options" in ctx.data:
            yield ctx.finding((0, 1), repr(sorted(self.options.items())))


@pytest.fixture
def with_fake(monkeypatch):
    real = registry.all_transforms()
    monkeypatch.setattr(registry, "all_transforms", lambda: (*real, FakeOptions))


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)


def cli(tmp_path: Path, monkeypatch, *args: str):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(app, list(args))


def reported(result) -> list[str]:
    """`path rule` of each finding line of a text report (grouped by file: a path line,
    then one indented `line:column  rule [*]  message` line per finding)."""
    out = []
    path = None
    for line in result.stdout.splitlines():
        if line and not line.startswith(" "):
            path = line
        elif line.strip() and not line.strip().startswith("error:"):
            out.append(f"{path} {line.split()[1]}")
    return out


# -- discovery -------------------------------------------------------------------------------


def test_find_walks_up_from_the_first_path(tmp_path):
    write(tmp_path, {"proj/.otpfix.toml": "", "proj/apps/a/lib/x.ex": DOWN})
    expected = str(tmp_path / "proj" / ".otpfix.toml")
    assert config.find(str(tmp_path / "proj/apps/a/lib/x.ex")) == expected
    assert config.find(str(tmp_path / "proj/apps/a")) == expected
    write(tmp_path, {"proj/apps/a/.otpfix.toml": ""})
    assert config.find(str(tmp_path / "proj/apps/a/lib")) == str(tmp_path / "proj/apps/a/.otpfix.toml")


def test_discovered_from_the_first_path_not_the_current_directory(tmp_path, monkeypatch):
    write(
        tmp_path,
        {
            "proj/.otpfix.toml": 'ignore = ["demonitor-down"]\n',
            "proj/lib/m.ex": DOWN,
            "elsewhere/.otpfix.toml": "not-a-key = 1\n",  # exit 2 if it were read
        },
    )
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "proj/lib")])
    assert result.exit_code == 0, result.output
    # Without the file the finding is there: the file above did the ignoring.
    result = CliRunner().invoke(app, ["scan", "--no-config", str(tmp_path / "proj/lib")])
    assert result.exit_code == 1
    assert "demonitor-down" in result.stdout


def test_explicit_config_file(tmp_path, monkeypatch):
    write(
        tmp_path,
        {
            ".otpfix.toml": 'select = ["unused-ignore"]\n',
            "cfg/strict.toml": 'select = ["demonitor-down"]\n',
            "lib/m.ex": DOWN,
        },
    )
    assert cli(tmp_path, monkeypatch, "scan", "lib").exit_code == 0
    result = cli(tmp_path, monkeypatch, "scan", "--config", "cfg/strict.toml", "lib")
    assert result.exit_code == 1 and reported(result) == ["lib/m.ex demonitor-down"]
    for command in ("diff", "fix"):
        result = cli(tmp_path, monkeypatch, command, "--config", "nope.toml", "lib")
        assert result.exit_code == 2
        assert "nope.toml: config file not found" in result.stderr
    assert (tmp_path / "lib/m.ex").read_bytes() == DOWN


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "toml, message",
    [
        ('selct = ["demonitor-down"]\n', "selct: unknown key (did you mean 'select'?)"),
        ('select = ["demonitor-dwn"]\n', "select: unknown rule 'demonitor-dwn' (did you mean 'demonitor-down'?)"),
        ('ignore = ["nope"]\n', "ignore: unknown rule 'nope'"),
        ('select = "demonitor-down"\n', "select: expected a list of strings, got a string"),
        ('exclude = ["lib/**x"]\n', "exclude: glob 'lib/**x': `**` must be a whole path component"),
        ('[per-path]\n"test/**" = ["nope"]\n', "[per-path] 'test/**': unknown rule 'nope'"),
        ('[per-path]\n"test/**" = "demonitor-down"\n', "[per-path] 'test/**': expected a list of strings"),
        ("[rules.nope]\nx = 1\n", "[rules.nope]: unknown rule 'nope'"),
        ("[rules.demonitor-down]\nstrict = true\n", "[rules.demonitor-down] strict: unknown option for rule demonitor-down (its options: none)"),
        ("include-tests = 1\n", "include-tests: expected true or false, got an integer 1"),
        ("max-file-size = -5\n", "max-file-size: expected a positive number of bytes"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_config_errors_exit_2_naming_the_file_and_key(tmp_path, monkeypatch, toml, message):
    write(tmp_path, {".otpfix.toml": toml, "lib/m.ex": DOWN})
    result = cli(tmp_path, monkeypatch, "scan", "lib")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("otpfix: error: .otpfix.toml: ")
    assert message in result.stderr


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("max_line", "1", "unknown option for rule fake-options (did you mean 'max_lines'?)"),
        ("max_lines", '"1000"', "expected an integer, got a string '1000'"),
        ("max_lines", "true", "expected an integer, got a boolean True"),
        ("strict", '"yes"', "expected true or false"),
        ("calls", '"Process.sleep"', "expected an array"),
        ("raisers", "[]", "expected a table"),
        ("name", "3", "expected a string"),
    ],
)
def test_rule_option_errors(tmp_path, monkeypatch, with_fake, option, value, message):
    write(tmp_path, {".otpfix.toml": f"[rules.fake-options]\n{option} = {value}\n", "lib/m.ex": "fake_options"})
    result = cli(tmp_path, monkeypatch, "scan", "lib")
    assert result.exit_code == 2
    assert f".otpfix.toml: [rules.fake-options] {option}: {message}" in result.stderr


def test_rule_options_reach_the_rule(tmp_path, monkeypatch, with_fake):
    write(
        tmp_path,
        {
            ".otpfix.toml": """
[rules.fake-options]
supervisor = "MyApp.TaskSupervisor"
strict = true
max_lines = 20
ratio = 1
calls = ["HTTPoison.get", "Req.get"]
raisers = { "File.read!" = ["File.Error"], "Jason.decode!" = ["Jason.DecodeError"] }
""",
            "lib/m.ex": "fake_options",
        },
    )
    result = cli(tmp_path, monkeypatch, "scan", "lib")
    assert result.exit_code == 1, result.stderr
    options = dict(
        supervisor="MyApp.TaskSupervisor",
        strict=True,
        max_lines=20,
        ratio=1.0,
        calls=("HTTPoison.get", "Req.get"),  # the default is a tuple: so is the value
        raisers={"File.read!": ["File.Error"], "Jason.decode!": ["Jason.DecodeError"]},
        name="x",
    )
    assert repr(sorted(options.items())) in result.stdout


# -- merging with the command line ----------------------------------------------------------


def test_command_line_overrides(tmp_path, monkeypatch):
    marker = b"defmodule N do\n  def f(x), do: x # otpfix:ignore demonitor-down\nend\n"
    write(
        tmp_path,
        {".otpfix.toml": 'select = ["unused-ignore"]\nignore = []\n', "lib/m.ex": DOWN, "lib/n.ex": marker},
    )
    # The file: only unused-ignore runs, so the marker for demonitor-down is not judged.
    assert cli(tmp_path, monkeypatch, "scan", "lib").exit_code == 0
    # --select replaces the file's select.
    result = cli(tmp_path, monkeypatch, "scan", "--select", "demonitor-down,unused-ignore", "lib")
    assert reported(result) == ["lib/m.ex demonitor-down", "lib/n.ex unused-ignore"]
    # --ignore subtracts from --select.
    result = cli(tmp_path, monkeypatch, "scan", "--select", "demonitor-down,unused-ignore", "--ignore", "demonitor-down", "lib")
    assert reported(result) == []

    write(tmp_path, {".otpfix.toml": 'ignore = ["unused-ignore"]\n'})
    result = cli(tmp_path, monkeypatch, "scan", "lib")
    assert reported(result) == ["lib/m.ex demonitor-down"]
    # --ignore adds to the file's ignore ...
    assert cli(tmp_path, monkeypatch, "scan", "--ignore", "demonitor-down", "lib").exit_code == 0
    # ... and --select replaces the file's ignore too.
    result = cli(tmp_path, monkeypatch, "scan", "--select", "unused-ignore", "lib")
    assert reported(result) == []  # demonitor-down not enabled: the marker is not judged
    result = cli(tmp_path, monkeypatch, "scan", "--select", "unused-ignore,demonitor-down", "lib")
    assert reported(result) == ["lib/m.ex demonitor-down", "lib/n.ex unused-ignore"]


def test_run_options_merge():
    cfg = config.Config(
        path=".otpfix.toml",
        root="/p",
        select=("a",),
        ignore=("b",),
        exclude=("gen",),
        per_path_ignore=(("test/**", ("c",)),),
        rule_options={"a": {"x": 1}},
        include_tests=True,
        max_file_size=100,
    )
    o = config.run_options(cfg, select=None, ignore=("d",), fix=True)
    assert (o.select, o.ignore, o.fix) == (("a",), ("b", "d"), True)
    assert (o.exclude, o.per_path_ignore, o.root) == (("gen",), (("test/**", ("c",)),), "/p")
    assert (o.include_tests, o.max_file_size, dict(o.rule_options)) == (True, 100, {"a": {"x": 1}})
    o = config.run_options(cfg, select=("e",), ignore=(), include_tests=False, max_file_size=5)
    assert (o.select, o.ignore, o.include_tests, o.max_file_size) == (("e",), (), False, 5)
    o = config.run_options(None, select=None, ignore=("d",))
    assert (o.select, o.ignore, o.exclude, o.root) == (None, ("d",), (), None)


def test_include_tests_and_max_file_size_from_the_file(tmp_path, monkeypatch):
    write(tmp_path, {".otpfix.toml": "max-file-size = 50\ninclude-tests = true\n", "lib/m.ex": DOWN})
    result = cli(tmp_path, monkeypatch, "scan", "lib")
    assert result.exit_code == 2
    assert "lib/m.ex\n  error: file is larger than the 50 byte limit; skipped\n" in result.stdout


# -- per-path and exclude ---------------------------------------------------------------------


def test_per_path_ignores(tmp_path, monkeypatch):
    write(
        tmp_path,
        {
            ".otpfix.toml": '[per-path]\n"lib/legacy/**" = ["demonitor-down"]\n"*_gen.ex" = ["demonitor-down", "unused-ignore"]\n',
            "lib/a.ex": DOWN,
            "lib/legacy/b.ex": DOWN,
            "lib/legacy/deep/c.ex": DOWN,
            "lib/x/d_gen.ex": DOWN,
        },
    )
    result = cli(tmp_path, monkeypatch, "scan", ".")
    assert reported(result) == ["lib/a.ex demonitor-down"]
    # Globs are relative to the config file, wherever the run starts.
    monkeypatch.chdir(tmp_path / "lib")
    result = CliRunner().invoke(app, ["scan", "."])
    assert reported(result) == ["a.ex demonitor-down"]


def test_exclude_globs(tmp_path, monkeypatch):
    write(
        tmp_path,
        {
            ".otpfix.toml": 'exclude = ["generated", "lib/vendor/*.ex", "/priv/**"]\n',
            "lib/a.ex": DOWN,
            "lib/generated/b.ex": DOWN,
            "apps/x/generated/c.ex": DOWN,
            "lib/vendor/d.ex": DOWN,
            "lib/vendor/sub/e.ex": DOWN,
            "priv/f.exs": DOWN,
            "lib/generated_not.ex": DOWN,
        },
    )
    result = cli(tmp_path, monkeypatch, "scan", ".")
    assert reported(result) == [
        "lib/a.ex demonitor-down",
        "lib/generated_not.ex demonitor-down",
        "lib/vendor/sub/e.ex demonitor-down",
    ]
    # A file named on the command line is excluded too (pre-commit passes file names).
    result = cli(tmp_path, monkeypatch, "scan", "lib/generated/b.ex", "lib/a.ex")
    assert reported(result) == ["lib/a.ex demonitor-down"]
    # `fix` leaves excluded files alone.
    assert cli(tmp_path, monkeypatch, "fix", ".").exit_code == 0
    assert (tmp_path / "lib/generated/b.ex").read_bytes() == DOWN
    assert (tmp_path / "lib/a.ex").read_bytes() != DOWN


def test_api_rejects_bad_per_path_ids_and_globs():
    with pytest.raises(registry.RegistryError, match="per-path ignore: unknown rule 'nope'"):
        api.run_sources({}, RunOptions(per_path_ignore=(("x", ("nope",)),)))
    with pytest.raises(registry.RegistryError, match="unclosed"):
        api.run_sources({}, RunOptions(exclude=("lib/[ab",)))


@pytest.mark.parametrize(
    "pattern, path, hit",
    [
        ("generated", "lib/generated/a.ex", True),
        ("generated", "generated", True),
        ("generated", "lib/generated_x.ex", False),
        ("*.exs", "test/a_test.exs", True),
        ("*_test.exs", "test/a_test.ex", False),
        ("lib/*.ex", "lib/a.ex", True),
        ("lib/*.ex", "lib/sub/a.ex", False),
        ("lib/*.ex", "apps/lib/a.ex", False),
        ("lib/**/*.ex", "lib/a.ex", True),
        ("lib/**/*.ex", "lib/x/y/a.ex", True),
        ("test/**", "test/a/b.exs", True),
        ("test/**", "lib/test.ex", False),
        ("/priv", "priv/x.exs", True),
        ("./priv/", "priv/x.exs", True),
        ("lib/a?.ex", "lib/ab.ex", True),
        ("lib/a?.ex", "lib/a/.ex", False),
        ("lib/[!b]*.ex", "lib/a.ex", True),
        ("lib/[!b]*.ex", "lib/b.ex", False),
        ("lib/legacy", "lib/legacy/x/y.ex", True),
        ("a.b", "axb", False),
    ],
)
def test_globs(pattern, path, hit):
    assert globs.matches(path, pattern) is hit


def test_relative_to(tmp_path):
    root = str(tmp_path)
    assert globs.relative_to(str(tmp_path / "lib" / "a.ex"), root) == "lib/a.ex"
    assert globs.relative_to(str(tmp_path.parent / "x.ex"), root) is None
    assert globs.matches_any(globs.relative_to(root, root), ["*"]) is False
    assert globs.relative_to(str(tmp_path / "a" / "b"), root) == "a/b"
