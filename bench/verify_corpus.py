#!/usr/bin/env python3
"""Run `otpfix fix` on a copy of a directory and check that it made nothing worse.

    python bench/verify_corpus.py DIR [--keep] [-- extra otpfix args]

On a fresh copy of DIR (DIR itself is never written):
1. every *.ex/*.exs file is parsed with real Elixir (one BEAM) before the fix;
2. `otpfix fix` runs on the copy (and `otpfix fix --verify` on a second copy; the --verify
   overhead is timed as `diff` against `diff --verify`, median of three runs each);
3. every file Elixir parsed before must still parse after;
4. a second `otpfix fix` must change nothing;
5. files otpfix reported no finding for must be byte-identical.
Prints counts and timings; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from otpfix.elixir import check_sources
from otpfix.files import discover


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for target in discover([str(root)]):
        if target.error:
            continue
        try:
            out[os.path.relpath(target.fs_path, root)] = Path(target.fs_path).read_bytes()
        except OSError:
            pass
    return out


def otpfix(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "otpfix", *args], capture_output=True, text=True)
    return r, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the fixed copy and print its path")
    ap.add_argument("extra", nargs="*", help="extra otpfix arguments (after --)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="otpfix-verify-"))
    work, work_verify = tmp / "copy", tmp / "copy-verify"
    ignore = shutil.ignore_patterns("_build", "deps", ".git", "node_modules")
    shutil.copytree(args.directory, work, symlinks=True, ignore=ignore)
    shutil.copytree(args.directory, work_verify, symlinks=True, ignore=ignore)

    before = snapshot(work)
    size = sum(len(b) for b in before.values())
    t0 = time.perf_counter()
    parsed_before = check_sources(before, "parse")
    elixir_time = time.perf_counter() - t0

    scan, _ = otpfix("scan", str(work), "--format", "json", *args.extra)
    report = json.loads(scan.stdout)
    with_findings = {os.path.relpath(os.path.abspath(f["path"]), work) for f in report["findings"]}

    # --verify overhead: `diff` against `diff --verify` (nothing written), median of 3 each.
    plain_times, verify_times = [], []
    for _ in range(3):
        plain_times.append(otpfix("diff", str(work_verify), *args.extra)[1])
        verify_times.append(otpfix("diff", "--verify", str(work_verify), *args.extra)[1])
    diff_time, diffv_time = sorted(plain_times)[1], sorted(verify_times)[1]
    fix1, fix_time = otpfix("fix", str(work), *args.extra)
    fixv, _ = otpfix("fix", "--verify", str(work_verify), *args.extra)
    after = snapshot(work)
    changed = sorted(p for p in before if after.get(p) != before[p])
    parsed_after = check_sources({p: after[p] for p in changed}, "parse") if changed else {}
    broken = [p for p in changed if parsed_before.get(p) is None and parsed_after.get(p) is not None]
    untouched_changed = [p for p in changed if p not in with_findings]
    fix2, _ = otpfix("fix", str(work), *args.extra)
    second = snapshot(work)
    not_idempotent = sorted(p for p in after if second.get(p) != after[p])
    after_verify = snapshot(work_verify)
    verify_differs = sorted(p for p in after if after_verify.get(p) != after[p])

    figures = {
        "files": len(before),
        "bytes": size,
        "elixir_parse_failures_before": sum(1 for v in parsed_before.values() if v is not None),
        "findings": len(report["findings"]),
        "files_with_findings": len(with_findings),
        "otpfix_errors": len(report["errors"]),
        "files_changed": len(changed),
        "changed_files_elixir_no_longer_parses": len(broken),
        "changed_files_without_findings": len(untouched_changed),
        "files_changed_by_second_fix": len(not_idempotent),
        "fix_seconds": round(fix_time, 2),
        "diff_seconds_median_of_3": round(diff_time, 2),
        "diff_verify_seconds_median_of_3": round(diffv_time, 2),
        "verify_overhead_seconds": round(diffv_time - diff_time, 2),
        "elixir_parse_all_files_seconds": round(elixir_time, 2),
        "verify_result_differs_files": len(verify_differs),
        "fix_exit": fix1.returncode,
        "second_fix_exit": fix2.returncode,
    }
    for key, value in figures.items():
        print(f"{key:42} {value}")
    for label, paths in (("broken", broken), ("not idempotent", not_idempotent), ("changed without findings", untouched_changed)):
        for p in paths[:20]:
            print(f"{label}: {p}", file=sys.stderr)
    for e in report["errors"][:20]:
        print(f"otpfix error: {e['path']}: {e['message']}", file=sys.stderr)
    if args.keep:
        print(f"fixed copy: {work}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = not broken and not not_idempotent and not untouched_changed
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
