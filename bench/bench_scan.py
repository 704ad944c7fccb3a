#!/usr/bin/env python3
"""Benchmark `otpfix scan` on a directory of Elixir code, in one run:

1. bare tree-sitter parse of every file otpfix would scan (read + parse, nothing else),
   with the same number of processes otpfix uses;
2. `otpfix scan` with every registered rule enabled, cold cache (the directory's
   `.otpfix_cache/` is deleted first) and warm cache (the same command again);
3. files/s, MB/s, peak memory of the otpfix process tree (sum over the process and its
   workers, sampled every 50 ms: RSS, and PSS which counts shared pages once; measured in
   one more cold and warm run, since the sampling takes CPU from the run it watches), and
   the ratios against the targets: cold <= 1.3x bare parse, warm <= 0.1x cold, RSS < 300 MB.

Each measurement is repeated (--repeat, default 3) and the best time counts: on a shared
machine the minimum is the least disturbed figure. Every cold and warm run must print the
same report (checked). --rule-costs adds serial CPU seconds per rule. Linux only (/proc).

    python bench/bench_scan.py /path/to/elixir/code [--jobs N] [--repeat N] [--rule-costs]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
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


def _cpu() -> float:
    """CPU seconds used so far by this process and its reaped children (workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bare_parse(paths: list[str], jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    cpu = _cpu()
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
            pool.close()
            pool.join()
    return time.perf_counter() - start, _cpu() - cpu


# -- peak RSS of a process tree ---------------------------------------------------------------


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_memory(root: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of `root` and all its descendants (one /proc scan). RSS counts
    pages shared by forked workers once per process; PSS divides them among sharers."""
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
    total = pss = 0
    for pid in rss:
        p = pid
        while p > 1 and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += rss[pid]
            pss += _pss(pid)
    return total, pss


class PeakMemory(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.rss, self.pss = pid, interval, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss, pss = _tree_memory(self.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self._halt.wait(self.interval)

    def stop(self) -> tuple[int, int]:
        self._halt.set()
        self.join()
        return self.rss, self.pss


def timed(cmd: list[str], memory: bool = False) -> tuple[float, float, tuple[int, int], bytes, int]:
    """(wall seconds, CPU seconds, peak tree (RSS, PSS) bytes or (0, 0), stdout, exit code).
    `memory`: sample the process tree's memory meanwhile (a thread of this process reading
    /proc every 50 ms: it takes CPU from the run, so timed runs do not sample)."""
    cpu = _cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    monitor = PeakMemory(proc.pid) if memory else None
    if monitor is not None:
        monitor.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    peak = monitor.stop() if monitor is not None else (0, 0)
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"otpfix failed with exit code {proc.returncode}")
    return elapsed, _cpu() - cpu, peak, out, proc.returncode


def rule_costs(root: str, rules: list[str]) -> None:
    """Serial CPU seconds of a cold scan in this process (no cache), split into parsing
    (every parse, in every pass) and each rule's `wanted`, `collect` and `check`; what is
    left is the engine (reading, pre-filters, suppression comments, fingerprints)."""
    from collections import Counter

    from otpfix import syntax
    from otpfix.types import RunOptions

    spent: Counter = Counter()
    calls: Counter = Counter()

    def timing(label: str, fn, *, consume: bool = False):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                result = fn(*args, **kwargs)
                if consume and result is not None:
                    result = list(result)
                return result
            finally:
                spent[label] += time.process_time() - start
                calls[label] += 1

        return wrapper

    patched = [(syntax, "parse", syntax.parse)]
    syntax.parse = timing("parse", syntax.parse)
    for cls in registry.all_transforms():
        for method in ("wanted", "collect", "check"):
            if method != "check" and not cls.uses_project():
                continue
            patched.append((cls, method, cls.__dict__.get(method)))
            setattr(cls, method, timing(f"{method} {cls.id}", getattr(cls, method), consume=method == "check"))
    try:
        start = time.process_time()
        api.run([root], RunOptions(select=tuple(rules), jobs=1))
        total = time.process_time() - start
    finally:
        for owner, name, original in patched:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
    parse = spent.pop("parse", 0.0)
    rules_total = sum(spent.values())
    print()
    print(f"serial CPU seconds of a cold scan in one process: {total:.2f}")
    print(f"  parse ({calls['parse']} parses, every pass)    {parse:6.2f}")
    print(f"  rules (below)                            {rules_total:6.2f}  ({rules_total / parse:4.2f}x parse)")
    print(f"  the rest (reading, pre-filters, engine)  {total - parse - rules_total:6.2f}")
    for label, seconds in spent.most_common():
        kind, rule_id = label.split(" ", 1)
        print(f"    {kind:8} {rule_id:28} {seconds:6.2f}  ({seconds / parse:4.2f}x parse, {calls[label]} files)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per core, as otpfix)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
    ap.add_argument("--rule-costs", action="store_true", help="also print serial CPU time per rule")
    args = ap.parse_args()

    root = args.directory
    targets = [t for t in discover([root]) if not t.error]
    paths = [t.fs_path for t in targets]
    size = sum(os.path.getsize(p) for p in paths)
    jobs = api.effective_jobs(args.jobs, len(paths))
    rules = [t.id for t in registry.all_transforms()]
    mb = size / 1e6

    print(f"otpfix {__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{api.available_cores()} cores available, load average {os.getloadavg()[0]:.1f}")
    print(f"corpus: {root}: {len(paths)} files, {mb:.1f} MB")
    print(f"rules: {len(rules)} ({', '.join(rules)})")
    print(f"processes: {jobs}; best of {args.repeat} runs", flush=True)

    # Byte-compile otpfix as `pip install` does: otherwise an editable install run with
    # PYTHONDONTWRITEBYTECODE compiles every module from source in every timed run.
    import compileall

    import otpfix
    import otpfix.transforms

    for package in (otpfix, otpfix.transforms):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1, maxlevels=0)
    print("otpfix's modules byte-compiled first (as pip does when it installs a package)")

    # Warm the OS page cache so that every measurement reads from memory.
    for p in paths:
        with open(p, "rb") as fh:
            fh.read()

    cache_dir = os.path.join(root, CACHE_DIR_NAME)
    cmd = [
        sys.executable, "-c", "import sys; from otpfix.cli import main; sys.argv[0] = 'otpfix'; main()",
        "scan", root, "--select", ",".join(rules), "--format", "json", "--quiet", "--jobs", str(jobs),
    ]
    parse = cold = warm = parse_cpu = cold_cpu = warm_cpu = float("inf")
    rss = pss = 0
    outputs = set()
    for _ in range(args.repeat):
        seconds, cpu = bare_parse(paths, jobs)
        parse, parse_cpu = min(parse, seconds), min(parse_cpu, cpu)
        shutil.rmtree(cache_dir, ignore_errors=True)
        seconds, cpu, _peak, out, _code = timed(cmd)
        cold, cold_cpu = min(cold, seconds), min(cold_cpu, cpu)
        outputs.add(out)
        seconds, cpu, _peak, out, _code = timed(cmd)
        warm, warm_cpu = min(warm, seconds), min(warm_cpu, cpu)
        outputs.add(out)
    # Memory: one more cold and warm run each, sampled (not timed).
    shutil.rmtree(cache_dir, ignore_errors=True)
    for _ in ("cold", "warm"):
        _seconds, _cpu_s, (r, p), out, _code = timed(cmd, memory=True)
        rss, pss = max(rss, r), max(pss, p)
        outputs.add(out)
    if len(outputs) != 1:
        raise SystemExit("the runs (cold and warm) did not all print the same report")
    import json

    findings = len(json.loads(outputs.pop())["findings"])
    shown = " ".join(a if "," not in a else "<all rule ids>" for a in cmd[3:])

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    print(f"command: otpfix {shown}")
    print(f"findings: {findings} (identical report from every cold and warm run)")
    print()
    print("                       wall      files/s     MB/s    CPU (all processes)")
    for name, wall, cpu in (("bare parse", parse, parse_cpu), ("otpfix scan, cold", cold, cold_cpu), ("otpfix scan, warm", warm, warm_cpu)):
        print(f"{name:20} {wall:7.2f} s  {len(paths) / wall:8.0f}  {mb / wall:8.1f}    {cpu:7.2f} s")
    print(f"peak memory of the otpfix process tree: RSS {rss / 1e6:.0f} MB (shared pages counted in "
          f"every process), PSS {pss / 1e6:.0f} MB")
    print()
    print(f"cold / bare parse   {cold / parse:5.2f}   (target <= {COLD_TARGET})  {ok(cold / parse <= COLD_TARGET)}")
    print(f"warm / cold         {warm / cold:5.2f}   (target <= {WARM_TARGET})  {ok(warm / cold <= WARM_TARGET)}")
    print(f"peak RSS            {rss / 1e6:5.0f} MB (target < {RSS_TARGET_MB} MB)  {ok(rss / 1e6 < RSS_TARGET_MB)}")
    print(f"(CPU-time ratios, less sensitive to other load on the machine: cold / bare parse "
          f"{cold_cpu / parse_cpu:.2f}, warm / cold {warm_cpu / cold_cpu:.2f})")
    if args.rule_costs:
        rule_costs(root, rules)


if __name__ == "__main__":
    main()
