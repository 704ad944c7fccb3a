"""The result cache: exact hits, no parse on a warm run, invalidation, corruption."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from otpfix import api, cache
from otpfix.types import RunOptions
from scale_helpers import ParseCounter, RemoteCalls, generate_tree, register_test_rule

RULES = ("demonitor-down", "test-remote-calls")


@pytest.fixture
def tree(tmp_path, monkeypatch):
    register_test_rule(monkeypatch)
    generate_tree(tmp_path / "proj")
    monkeypatch.chdir(tmp_path / "proj")
    return tmp_path / "proj"


def options(tree, **kw) -> RunOptions:
    kw.setdefault("select", RULES)
    kw.setdefault("jobs", 1)
    return RunOptions(cache_dir=str(tree / ".otpfix_cache"), **kw)


def scan(tree, **kw):
    return api.run(["lib", "test"], options(tree, **kw))


def rows(tree) -> int:
    db = sqlite3.connect(tree / ".otpfix_cache" / "cache.sqlite")
    try:
        return db.execute("select count(*) from entries").fetchone()[0]
    finally:
        db.close()


def test_warm_scan_parses_nothing_and_matches_cold(tree, monkeypatch):
    uncached = api.run(["lib", "test"], RunOptions(select=RULES, jobs=1))
    cold = scan(tree)
    assert cold.results == uncached.results
    parses = ParseCounter(monkeypatch)
    warm = scan(tree)
    assert parses.count == 0
    assert warm.results == cold.results
    # Also from a pool, and the other way round (pool-written entries read serially).
    assert scan(tree, jobs=2).results == cold.results
    assert (tree / ".otpfix_cache" / ".gitignore").read_text().endswith("*\n")


def test_changed_file_is_the_only_one_parsed_again(tree, monkeypatch):
    """Without project facts changing, one edit costs one parse."""
    scan(tree, select=("demonitor-down",))
    target = tree / "lib" / "part0" / "m0.ex"
    target.write_text(target.read_text().replace("x + 0", "x + 100"))
    parses = ParseCounter(monkeypatch)
    again = scan(tree, select=("demonitor-down",))
    assert parses.count == 1
    assert again.results == api.run(["lib", "test"], RunOptions(select=("demonitor-down",))).results


def test_project_facts_are_part_of_the_key(tree, monkeypatch):
    """A new module elsewhere changes what the project rule sees: files where the rule can
    run are checked again and report the new fact; unchanged facts keep their hits."""
    scan(tree)
    (tree / "lib" / "extra.ex").write_text("defmodule Gen.M151 do\n  def value(x), do: x\nend\n")
    parses = ParseCounter(monkeypatch)
    warm = scan(tree)
    fresh = api.run(["lib", "test"], RunOptions(select=RULES))
    assert warm.results == fresh.results
    assert any("Gen.M151" in f.message for f in warm.findings)
    assert parses.count > 100  # the facts changed: project-aware checks ran again
    parses.count = 0
    assert scan(tree).results == fresh.results
    assert parses.count == 0


def test_rule_options_and_selection_are_part_of_the_key(tree, monkeypatch):
    scan(tree, select=("demonitor-down",))
    parses = ParseCounter(monkeypatch)
    other = scan(tree, select=("demonitor-down",), include_tests=True)
    assert parses.count > 0
    assert other.results == api.run(["lib", "test"], RunOptions(select=("demonitor-down",), include_tests=True)).results
    parses.count = 0
    scan(tree, select=RULES)
    assert parses.count > 0


def test_no_cache_reads_and_writes_nothing(tree):
    api.run(["lib"], RunOptions(select=RULES))
    assert not (tree / ".otpfix_cache").exists()


def test_corrupt_entries_and_database_are_ignored(tree, monkeypatch):
    cold = scan(tree)
    db = sqlite3.connect(tree / ".otpfix_cache" / "cache.sqlite")
    db.execute("update entries set value = 'not json{' where rowid % 2 = 0")
    db.execute("update entries set value = '{\"findings\": [[1]], \"error\": null}' where rowid % 3 = 0")
    db.commit()
    db.close()
    assert scan(tree).results == cold.results
    # The whole file garbled: a miss everywhere, then rebuilt on write.
    path = tree / ".otpfix_cache" / "cache.sqlite"
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(path) + suffix):
            os.unlink(str(path) + suffix)
    path.write_bytes(b"this is not a database" * 100)
    assert scan(tree).results == cold.results
    assert rows(tree) > 100
    parses = ParseCounter(monkeypatch)
    assert scan(tree).results == cold.results
    assert parses.count == 0


def test_unwritable_cache_directory_is_not_an_error(tree):
    (tree / ".otpfix_cache").write_text("a file, not a directory")
    assert scan(tree).results == api.run(["lib", "test"], RunOptions(select=RULES)).results


def test_fix_uses_only_entries_without_findings(tree, monkeypatch):
    """diff/fix reuse a scan's entry only when it has no finding: nothing to fix there."""
    one = ("demonitor-down",)
    parses = ParseCounter(monkeypatch)
    expected = api.run(["lib", "test"], RunOptions(select=one, fix=True))
    uncached_parses, parses.count = parses.count, 0
    scan(tree, select=one)
    parses.count = 0
    fixed = api.run(["lib", "test"], options(tree, select=one, fix=True))
    assert [(r.path, r.findings, r.fixed, r.error, r.remaining) for r in fixed.results] == [
        (r.path, r.findings, r.fixed, r.error, r.remaining) for r in expected.results
    ]
    assert sum(1 for r in fixed.results if r.changed) > 40
    # The correct :DOWN handlers (one file in three) were parsed without cache, not now.
    compliant = sum(1 for r in expected.results if not r.findings and not r.error and b":DOWN" in (tree / r.path).read_bytes())
    assert compliant >= 50
    assert parses.count == uncached_parses - compliant


def test_unencodable_facts_still_work(tree, monkeypatch):
    class Opaque:
        def __init__(self, names):
            self.names = names

    original = RemoteCalls.collect

    def collect(self, ctx):
        facts = original(self, ctx)
        return {"modules": facts["modules"], "opaque": Opaque(1)}

    monkeypatch.setattr(RemoteCalls, "collect", collect)
    cold = scan(tree)
    assert scan(tree).results == cold.results
    assert any(f.rule == "test-remote-calls" for f in cold.findings)


def test_encode_round_trip_and_stable_digest():
    value = {
        "a": {1, 2, 3},
        ("t", 1): frozenset({"x", "y"}),
        "l": [1.5, None, True, b"\x00\xff", float("inf")],
        "n": {"nested": (1, (2, [3]))},
    }
    encoded = cache.encode(value)
    assert cache.decode(json.loads(json.dumps(encoded))) == value
    assert cache.loads(cache.to_json(encoded)) == value
    from otpfix.types import Edit, Span

    with_classes = {"span": Span(1, 2, 3, 4, 5, 6), "edits": (Edit(0, 1, "x"),), "one": {"~t": 1}}
    assert cache.loads(cache.to_json(cache.encode(with_classes))) == with_classes
    assert type(cache.decode(cache.encode((1,)))) is tuple
    assert cache.digest({"b", "a", "c"}) == cache.digest({"c", "b", "a"})
    assert cache.digest((1,)) != cache.digest([1])
    with pytest.raises(cache.Unencodable):
        cache.encode(object())
    with pytest.raises(ValueError):
        cache.decode({"~dc": "os:system", "f": {}})


def test_corrupt_facts_entries_are_collected_again(tree, monkeypatch):
    """Facts entries whose text no longer decodes: the facts are collected again, the
    results stay exact."""
    cold = scan(tree)
    db = sqlite3.connect(tree / ".otpfix_cache" / "cache.sqlite")
    facts_rows = 0
    for key, value in db.execute("select key, value from entries").fetchall():
        doc = json.loads(value)
        if isinstance(doc, dict) and "f" in doc:
            doc["f"] = '{"~d": [["test-remote-calls", {"~x": 1}]]}'
            db.execute("update entries set value = ? where key = ?", (json.dumps(doc), key))
            facts_rows += 1
    # And drop every check entry, so that the facts are needed again.
    db.execute("delete from entries where value like '{\"findings\"%'")
    db.commit()
    db.close()
    assert facts_rows > 100
    assert scan(tree).results == cold.results
    assert scan(tree, jobs=2).results == cold.results


def test_warm_run_decodes_no_facts(tree, monkeypatch):
    scan(tree)
    calls = []
    original, original_loads = cache.decode, cache.loads
    monkeypatch.setattr(cache, "decode", lambda raw: calls.append(1) or original(raw))
    monkeypatch.setattr(cache, "loads", lambda raw: calls.append(1) or original_loads(raw))
    scan(tree)
    assert calls == []


def test_warm_run_starts_no_workers(tree, monkeypatch):
    """Hits are answered in the main process; only misses would go to a pool."""
    scan(tree, jobs=3)
    asked: list[int] = []
    original = api.effective_jobs
    monkeypatch.setattr(api, "effective_jobs", lambda jobs, files: asked.append(files) or original(jobs, files))
    target = tree / "lib" / "part1" / "m1.ex"
    target.write_text(target.read_text() + "\n")
    again = scan(tree, jobs=3)
    # The changed file, in each of the three passes: what it wants, its facts, and (its
    # facts being the same) its check.
    assert asked == [1, 1, 1]
    assert again.results == api.run(["lib", "test"], RunOptions(select=RULES)).results
    asked.clear()
    scan(tree, jobs=3)
    assert asked == [0, 0, 0]


def test_cli_cache_location_and_no_cache(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from otpfix.cli import app

    generate_tree(tmp_path / "proj", count=5)
    monkeypatch.chdir(tmp_path / "proj")
    runner = CliRunner()
    assert runner.invoke(app, ["scan", "lib", "--no-cache"]).exit_code == 2
    assert not (tmp_path / "proj" / "lib" / ".otpfix_cache").exists()
    first = runner.invoke(app, ["scan", "lib"])
    assert (tmp_path / "proj" / "lib" / ".otpfix_cache" / "cache.sqlite").is_file()  # in the first PATH
    (tmp_path / "proj" / ".otpfix.toml").write_text("")
    second = runner.invoke(app, ["scan", "lib"])
    assert (tmp_path / "proj" / ".otpfix_cache" / "cache.sqlite").is_file()  # next to the config
    assert first.stdout == second.stdout and first.exit_code == second.exit_code == 2


def test_store_keeps_the_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(cache.Store, "MAX_ENTRIES", 10)
    store = cache.Store(str(tmp_path / "c"))
    store.put_many([(f"k{i}", json.dumps(i)) for i in range(30)], run_size=1)
    store.put_many([(f"n{i}", json.dumps(i)) for i in range(5)], run_size=1)
    store.close()
    reader = cache.Store(str(tmp_path / "c"))
    assert [reader.get(f"n{i}") for i in range(5)] == list(range(5))
    assert sum(reader.get(f"k{i}") is not None for i in range(30)) == 5
    assert reader.get("k29") == 29 and reader.get("k0") is None
    reader.close()
    assert (tmp_path / "c" / ".gitignore").read_text().endswith("*\n")
    assert (tmp_path / "c" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


# -- the stat table: unchanged files are not read on a warm run ------------------------------


@pytest.fixture
def reads(monkeypatch):
    """Paths otpfix read (through the one function every read goes through)."""
    seen: list[str] = []
    original = api.read_bytes_stat

    def counting(fs_path, limit):
        seen.append(fs_path)
        return original(fs_path, limit)

    monkeypatch.setattr(api, "read_bytes_stat", counting)
    return seen


def test_warm_run_reads_only_files_it_must_show(tree, monkeypatch, reads):
    # Files written by the fixture are "racy" (changed within RACY_NS of being read):
    # no margin here, instead of sleeping.
    monkeypatch.setattr(cache, "RACY_NS", 0)
    cold = scan(tree)
    reads.clear()
    warm = scan(tree)
    assert warm.results == cold.results
    # Only the files whose fixes a report may place (the FileResult keeps their bytes).
    must_show = {r.path for r in warm.results if r.original is not None}
    assert must_show and len(must_show) < len(warm.results) / 2
    assert {os.path.relpath(p, tree) for p in reads} == must_show


def test_racy_files_are_read_again(tree, monkeypatch, reads):
    """With the real margin, files written a moment ago are read (and hashed) again."""
    cold = scan(tree)
    reads.clear()
    assert scan(tree).results == cold.results
    assert len(reads) >= len(cold.results) - 2  # the two unreadable/refused ones aside


def test_same_size_same_mtime_change_is_seen(tree, monkeypatch):
    """A change that keeps size and modification time (restored with utime) still
    changes the inode's status-change time: the file is read again."""
    monkeypatch.setattr(cache, "RACY_NS", 0)
    target = tree / "lib" / "part1" / "m1.ex"
    scan(tree)
    before = os.stat(target)
    text = target.read_text()
    changed = text.replace("def value(x), do: x + 1", "def value(x), do: x - 1")
    assert changed != text and len(changed) == len(text)
    target.write_text(changed)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(target).st_mtime_ns == before.st_mtime_ns
    assert scan(tree).results == api.run(["lib", "test"], RunOptions(select=RULES, jobs=1)).results


def test_corrupt_provided_keys_mean_any_key(tree):
    """A first-pass entry whose stored keys do not decode still answers (its findings are
    fine) and counts as providing every key: the facts are collected there, never skipped."""
    cold = scan(tree)
    db = sqlite3.connect(tree / ".otpfix_cache" / "cache.sqlite")
    changed = 0
    for key, value in db.execute("select key, value from entries").fetchall():
        doc = json.loads(value)
        if isinstance(doc, dict) and isinstance(doc.get("p"), dict) and doc["p"]:
            doc["p"] = {rid: [1, 2] for rid in doc["p"]}
            db.execute("update entries set value = ? where key = ?", (json.dumps(doc), key))
            changed += 1
        elif isinstance(doc, dict) and "c" in doc:
            db.execute("delete from entries where key = ?", (key,))  # the demand entry
        elif isinstance(doc, dict) and "findings" in doc and "p" not in doc:
            db.execute("delete from entries where key = ?", (key,))  # checks with facts
    db.commit()
    db.close()
    assert changed > 100
    assert scan(tree).results == cold.results


def test_encode_facts_round_trips_and_digests_like_digest(monkeypatch) -> None:
    shared = {"M": {"f": {"raises": {"KeyError": "x"}, "locals": ["g"], "t": (1, b"\x00"), "s": {3, 1}}}}
    facts = {"narrow-rescue": shared, "broad-catch": shared, "rest-for-one": {"A": [1.5, None, True]}}
    calls = []
    real = cache.encode
    monkeypatch.setattr(cache, "encode", lambda obj: (calls.append(obj), real(obj))[1])
    digests, text = cache.encode_facts(facts)
    assert sum(1 for c in calls if c is shared) == 1  # the shared value: encoded once
    monkeypatch.setattr(cache, "encode", real)
    assert cache.loads(text) == facts
    assert list(cache.loads(text)) == list(facts)
    assert digests == {k: cache.digest(v) for k, v in facts.items()}
    with pytest.raises(cache.Unencodable):
        cache.encode_facts({"r": object()})
