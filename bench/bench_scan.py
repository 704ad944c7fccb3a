#!/usr/bin/env python3
"""Benchmark `otpfix scan` on a directory of Elixir code, in one run:

1. bare tree-sitter parse of every file otpfix would scan (read + parse, nothing else),
   with the same number of processes otpfix uses;
2. `otpfix scan` with every registered rule enabled, cold cache (the directory's
   `.otpfix_cache/` is deleted first) and warm cache (the same command again);
3. files/s, MB/s, peak RSS of the otpfix process tree (sum over the process and its
   workers, sampled every few milliseconds), and the ratios against the targets:
   cold <= 1.3x bare parse, warm <= 0.1x cold, peak RSS < 300 MB.

The cold and warm runs must print the same report (checked). Linux only (reads /proc).

    python bench/bench_scan.py /path/to/elixir/code [--jobs N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import threading
import time

from otpfix import __version__, api, registry
from otpfix.cache import CACHE_DIR_NAME
from otpfix.files import discover

COLD_TARGET = 1.3
WARM_TARGET = 0.1
RSS_TARGET_MB = 300

PAGE = os.sysconf("SC_PAGE_SIZE")


# -- bare parse ------------------------------------------------------------------------------

_PARSER = None


def _parse_init() -> None:
    global _PARSER
    import tree_sitter_elixir
    from tree_sitter import Language, Parser

    _PARSER = Parser(Language(tree_sitter_elixir.language()))


def _parse_file(path: str) -> int:
    with open(path, "rb") as fh:
        data = fh.read()
    _PARSER.parse(data)  # type: ignore[union-attr]
    return len(data)


def bare_parse(paths: list[str], jobs: int) -> float:
    start = time.perf_counter()
    if jobs <= 1:
        _parse_init()
        for p in paths:
            _parse_file(p)
    else:
        ctx = multiprocessing.get_context("fork")
        chunksize = max(1, min(64, len(paths) // (jobs * 16)))
        with ctx.Pool(jobs, initializer=_parse_init) as pool:
            for _ in pool.imap_unordered(_parse_file, paths, chunksize=chunksize):
                pass
    return time.perf_counter() - start


# -- peak RSS of a process tree ---------------------------------------------------------------


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (one /proc scan)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE
    total = 0
    for pid in rss:
        p = pid
        while p > 1 and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += rss[pid]
    return total


class PeakRSS(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._halt.wait(self.interval)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def timed(cmd: list[str]) -> tuple[float, int, bytes, int]:
    """(wall seconds, peak tree RSS bytes, stdout, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    monitor = PeakRSS(proc.pid)
    monitor.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    peak = monitor.stop()
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"otpfix failed with exit code {proc.returncode}")
    return elapsed, peak, out, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per core, as otpfix)")
    args = ap.parse_args()

    root = args.directory
    targets = [t for t in discover([root]) if not t.error]
    paths = [t.fs_path for t in targets]
    size = sum(os.path.getsize(p) for p in paths)
    jobs = api.effective_jobs(args.jobs, len(paths))
    rules = [t.id for t in registry.all_transforms()]
    mb = size / 1e6

    print(f"otpfix {__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{api.available_cores()} cores available")
    print(f"corpus: {root}: {len(paths)} files, {mb:.1f} MB")
    print(f"rules: {len(rules)} ({', '.join(rules)})")
    print(f"processes: {jobs}", flush=True)

    # Warm the OS page cache so that every measurement reads from memory.
    for p in paths:
        with open(p, "rb") as fh:
            fh.read()

    parse = bare_parse(paths, jobs)

    cache_dir = os.path.join(root, CACHE_DIR_NAME)
    shutil.rmtree(cache_dir, ignore_errors=True)
    cmd = [
        sys.executable, "-c", "import sys; from otpfix.cli import main; sys.argv[0] = 'otpfix'; main()",
        "scan", root, "--select", ",".join(rules), "--format", "json", "--quiet", "--jobs", str(jobs),
    ]
    cold, cold_rss, cold_out, _ = timed(cmd)
    warm, warm_rss, warm_out, _ = timed(cmd)
    if cold_out != warm_out:
        raise SystemExit("the warm run's report differs from the cold run's")
    import json

    findings = len(json.loads(cold_out)["findings"])
    shown = " ".join(a if "," not in a else "<all rule ids>" for a in cmd[3:])

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    peak = max(cold_rss, warm_rss) / 1e6
    print(f"command: otpfix {shown}")
    print(f"findings: {findings}")
    print()
    print(f"bare parse          {parse:7.2f} s   {len(paths) / parse:8.0f} files/s  {mb / parse:6.1f} MB/s")
    print(f"otpfix scan, cold   {cold:7.2f} s   {len(paths) / cold:8.0f} files/s  {mb / cold:6.1f} MB/s"
          f"   peak RSS {cold_rss / 1e6:6.1f} MB")
    print(f"otpfix scan, warm   {warm:7.2f} s   {len(paths) / warm:8.0f} files/s  {mb / warm:6.1f} MB/s"
          f"   peak RSS {warm_rss / 1e6:6.1f} MB")
    print()
    print(f"cold / bare parse   {cold / parse:5.2f}   (target <= {COLD_TARGET})  {ok(cold / parse <= COLD_TARGET)}")
    print(f"warm / cold         {warm / cold:5.2f}   (target <= {WARM_TARGET})  {ok(warm / cold <= WARM_TARGET)}")
    print(f"peak RSS            {peak:5.0f} MB (target < {RSS_TARGET_MB} MB)  {ok(peak < RSS_TARGET_MB)}")


if __name__ == "__main__":
    main()
