"""Discover transforms, validate their metadata, resolve --select/--ignore."""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from typing import Iterable, Mapping, Any

from .transform import Transform

RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(ValueError):
    """A usage error about rule ids or options (exit code 2)."""


@lru_cache(maxsize=1)
def all_transforms() -> tuple[type[Transform], ...]:
    """Every Transform subclass defined in the modules of `otpfix.transforms`, by id."""
    import otpfix.transforms as package

    found: dict[str, type[Transform]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Transform)
                and value is not Transform
                and value.__module__ == module.__name__
                and value.id
            ):
                _validate(value)
                if value.id in found and found[value.id] is not value:
                    raise RegistryError(f"duplicate rule id {value.id!r}")
                found[value.id] = value
    return tuple(found[k] for k in sorted(found))


def _validate(cls: type[Transform]) -> None:
    if not RULE_ID.match(cls.id):
        raise RegistryError(f"rule id {cls.id!r} is not kebab-case")
    if not cls.summary or "\n" in cls.summary:
        raise RegistryError(f"rule {cls.id}: summary must be one line")
    if not cls.__doc__:
        raise RegistryError(f"rule {cls.id}: missing documentation docstring")


def rule_ids() -> list[str]:
    return [t.id for t in all_transforms()]


def get(rule_id: str) -> type[Transform]:
    for t in all_transforms():
        if t.id == rule_id:
            return t
    raise RegistryError(f"unknown rule {rule_id!r} (see `otpfix rules`)")


def check_ids(ids: Iterable[str], what: str) -> None:
    """Raise RegistryError naming `what` for the first id that is no rule."""
    _check_ids(ids, what)


def _check_ids(ids: Iterable[str], what: str) -> None:
    known = set(rule_ids())
    for rid in ids:
        if rid not in known:
            raise RegistryError(f"{what}: unknown rule {rid!r} (see `otpfix rules`)")


def resolve(
    select: Iterable[str] | None,
    ignore: Iterable[str] = (),
    rule_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Transform]:
    """Instantiate the enabled transforms, in id order."""
    ignore = tuple(ignore)
    _check_ids(ignore, "--ignore")
    rule_options = rule_options or {}
    _check_ids(rule_options, "rule options")
    if select is None:
        chosen = [t for t in all_transforms() if t.default_enabled]
    else:
        select = tuple(select)
        _check_ids(select, "--select")
        chosen = [t for t in all_transforms() if t.id in select]
    out = []
    for cls in chosen:
        if cls.id in ignore:
            continue
        try:
            out.append(cls(rule_options.get(cls.id)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RegistryError(f"rule {cls.id}: invalid options: {exc}") from None
    return out
