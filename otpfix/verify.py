"""`--verify`: check every rewritten file with the real Elixir parser, in one BEAM.

A file that Elixir parsed before and does not parse after has its fixes dropped and gets an
error carrying Elixir's message. A file Elixir could not parse before is left as the engine
made it (tree-sitter accepted it; Elixir has no opinion that could be made worse).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .elixir import check_sources
from .types import FileResult


def verify_results(results: Sequence[FileResult]) -> list[FileResult]:
    """Return `results` with unverifiable rewrites dropped. Raises ElixirUnavailable."""
    changed = [r for r in results if r.changed]
    if not changed:
        return list(results)
    sources: dict[str, bytes] = {}
    for r in changed:
        sources[f"before:{r.path}"] = r.original or b""
        sources[f"after:{r.path}"] = r.fixed or b""
    verdicts = check_sources(sources, "parse")
    out = []
    for r in results:
        if not r.changed:
            out.append(r)
            continue
        before = verdicts.get(f"before:{r.path}")
        after = verdicts.get(f"after:{r.path}")
        if before is None and after is not None:
            out.append(
                replace(
                    r,
                    fixed=None,
                    applied=(),
                    remaining=r.findings,
                    error=f"fixes dropped: Elixir cannot parse the fixed file ({after})",
                )
            )
        else:
            out.append(r)
    return out
