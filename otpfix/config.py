"""`.otpfix.toml`: finding it, validating it, and merging it with the command line.

The file is found by walking up from the first PATH (its directory when it is a file)
to the filesystem root; `--config FILE` names it instead and `--no-config` skips it.
Every key is checked: an unknown key, rule id or rule option, or a value of the wrong
type, is a ConfigError naming the file and the key (the CLI exits 2). See
notes/config.md for the format.

Merging (command line over file):
- `--select` replaces the file's `select` and `ignore`: the rules run are exactly the
  selected ones minus `--ignore`;
- without `--select`, `--ignore` adds to the file's `ignore`;
- `exclude`, `[per-path]` and `[rules.<id>]` come from the file only (their globs are
  relative to the file's directory);
- `include-tests` / `max-file-size` come from the file unless the caller overrides them;
- `baseline` (a file name relative to the config file) is the baseline `scan` uses when
  `--baseline` is not given.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from . import globs, registry
from .types import RunOptions

CONFIG_NAME = ".otpfix.toml"

TOP_KEYS = ("select", "ignore", "exclude", "per-path", "rules", "include-tests", "max-file-size", "baseline")


class ConfigError(ValueError):
    """A problem with the configuration file: a usage error (exit code 2)."""


@dataclass(frozen=True)
class Config:
    path: str  # as shown in messages
    root: str  # absolute directory the globs are relative to
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_path_ignore: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    include_tests: bool | None = None
    max_file_size: int | None = None
    baseline: str | None = None  # absolute path of the baseline file `scan` uses


def find(start: str) -> str | None:
    """The nearest `.otpfix.toml` in `start`'s directory (or `start` itself when it is
    a directory) or any directory above it."""
    here = os.path.abspath(start)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        candidate = os.path.join(here, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _shown(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def load(path: str) -> Config:
    """Read and validate one config file. Raises ConfigError."""
    shown = _shown(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: {exc}") from None
    return parse(doc, shown, os.path.dirname(os.path.abspath(path)))


def parse(doc: Mapping[str, Any], shown: str, root: str) -> Config:
    """Validate a decoded TOML document. `shown` names the file in messages."""

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{shown}: {key}: {message}")

    for key in doc:
        if key not in TOP_KEYS:
            hint = _hint(key, TOP_KEYS)
            raise fail(key, f"unknown key{hint} (known keys: {', '.join(TOP_KEYS)})")

    known = set(registry.rule_ids())

    def rule_list(key: str, value: Any) -> tuple[str, ...]:
        items = _string_list(value, lambda m: fail(key, m))
        for item in items:
            if item not in known:
                raise fail(key, f"unknown rule {item!r}{_hint(item, known)} (see `otpfix rules`)")
        return items

    def glob_list(key: str, value: Any) -> tuple[str, ...]:
        items = _string_list(value, lambda m: fail(key, m))
        for item in items:
            _check_glob(item, lambda m: fail(key, m))
        return items

    select = rule_list("select", doc["select"]) if "select" in doc else None
    ignore = rule_list("ignore", doc.get("ignore", []))
    exclude = glob_list("exclude", doc.get("exclude", []))

    per_path: list[tuple[str, tuple[str, ...]]] = []
    table = doc.get("per-path", {})
    if not isinstance(table, dict):
        raise fail("per-path", 'expected a table of glob = ["rule-id", ...]')
    for pattern, ids in table.items():
        key = f"[per-path] {pattern!r}"
        _check_glob(pattern, lambda m: fail(key, m))
        per_path.append((pattern, rule_list(key, ids)))

    rule_options: dict[str, dict[str, Any]] = {}
    rules = doc.get("rules", {})
    if not isinstance(rules, dict):
        raise fail("rules", "expected tables [rules.<rule-id>]")
    for rule_id, options in rules.items():
        key = f"[rules.{rule_id}]"
        if rule_id not in known:
            raise fail(key, f"unknown rule {rule_id!r}{_hint(rule_id, known)} (see `otpfix rules`)")
        if not isinstance(options, dict):
            raise fail(key, "expected a table of options")
        defaults = registry.get(rule_id).default_options
        checked: dict[str, Any] = {}
        for name, value in options.items():
            if name not in defaults:
                names = ", ".join(sorted(defaults)) or "none"
                raise fail(
                    f"{key} {name}",
                    f"unknown option for rule {rule_id}{_hint(name, defaults)} (its options: {names})",
                )
            checked[name] = _coerce(value, defaults[name], lambda m: fail(f"{key} {name}", m))
        try:  # the rule's own validation of its option values
            registry.get(rule_id)(checked)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise fail(key, f"invalid option value: {exc}") from None
        rule_options[rule_id] = checked

    include_tests = doc.get("include-tests")
    if include_tests is not None and not isinstance(include_tests, bool):
        raise fail("include-tests", f"expected true or false, got {_describe(include_tests)}")
    max_file_size = doc.get("max-file-size")
    if max_file_size is not None and (
        isinstance(max_file_size, bool) or not isinstance(max_file_size, int) or max_file_size <= 0
    ):
        raise fail("max-file-size", f"expected a positive number of bytes, got {_describe(max_file_size)}")

    baseline = doc.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline):
        raise fail("baseline", f"expected a file name, got {_describe(baseline)}")

    return Config(
        path=shown,
        root=root,
        baseline=os.path.join(root, baseline) if baseline else None,
        select=select,
        ignore=ignore,
        exclude=exclude,
        per_path_ignore=tuple(per_path),
        rule_options=rule_options,
        include_tests=include_tests,
        max_file_size=max_file_size,
    )


def _string_list(value: Any, fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"expected a list of strings, got {_describe(value)}")
    return tuple(value)


def _check_glob(pattern: str, fail) -> None:
    try:
        globs.validate(pattern)
    except globs.GlobError as exc:
        raise fail(str(exc)) from None


def _describe(value: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"


def _coerce(value: Any, default: Any, fail) -> Any:
    """`value` checked against the type of the rule's default (when it has one).

    A TOML array becomes a tuple/frozenset when the default is one; everything else is
    passed through as TOML decoded it (tables are dicts)."""
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail(f"expected true or false, got {_describe(value)}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"expected an integer, got {_describe(value)}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"expected a number, got {_describe(value)}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise fail(f"expected a string, got {_describe(value)}")
        return value
    if isinstance(default, (list, tuple, set, frozenset)):
        if not isinstance(value, list):
            raise fail(f"expected an array, got {_describe(value)}")
        return value if isinstance(default, list) else type(default)(value)
    if isinstance(default, Mapping):
        if not isinstance(value, dict):
            raise fail(f"expected a table, got {_describe(value)}")
        return value
    return value


def _hint(name: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1)
    if not close and "-" in name and name.replace("-", "_") in candidates:
        close = [name.replace("-", "_")]
    return f" (did you mean {close[0]!r}?)" if close else ""


def discover(paths: Sequence[str] | None, config_path: str | None, no_config: bool) -> Config | None:
    """The Config for a run over `paths`: `config_path` when given, else the nearest
    `.otpfix.toml` above the first path; None with `no_config` or when there is none."""
    if config_path is not None:
        if no_config:
            raise ConfigError("--config and --no-config exclude each other")
        return load(config_path)
    if no_config:
        return None
    found = find((paths or ["."])[0])
    return load(found) if found is not None else None


def run_options(
    config: Config | None,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    **settings: Any,
) -> RunOptions:
    """RunOptions from the file and the command line (see the module docstring).

    `settings` are further RunOptions fields set by the caller (fix, safe_only, ...);
    `include_tests` / `max_file_size` given there override the file."""
    base = RunOptions(**{k: v for k, v in settings.items() if v is not None})
    if config is None:
        return replace(base, select=tuple(select) if select is not None else None, ignore=tuple(ignore))
    if select is not None:
        chosen, ignored = tuple(select), tuple(ignore)
    else:
        chosen = config.select
        ignored = tuple(dict.fromkeys((*config.ignore, *ignore)))
    extra: dict[str, Any] = {}
    if config.include_tests is not None and settings.get("include_tests") is None:
        extra["include_tests"] = config.include_tests
    if config.max_file_size is not None and settings.get("max_file_size") is None:
        extra["max_file_size"] = config.max_file_size
    return replace(
        base,
        select=chosen,
        ignore=ignored,
        exclude=config.exclude,
        per_path_ignore=config.per_path_ignore,
        root=config.root,
        rule_options={k: dict(v) for k, v in config.rule_options.items()},
        baseline=config.baseline,
        **extra,
    )
