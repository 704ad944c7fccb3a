"""`api._Trees`: the parses a process keeps for a later pass of the same run."""

from __future__ import annotations

from otpfix import api
from otpfix.syntax import Source


def source(n: int, tag: str = "a") -> Source:
    text = f"defmodule {tag.upper()} do\n" + "#" * max(0, n - 20) + "\nend\n"
    return Source(text.encode())


def test_kept_parse_is_taken_for_the_same_bytes_only():
    trees = api._Trees(budget=1000)
    s = source(100)
    assert trees.keep("a.ex", s, waiting=True)
    assert trees.take("a.ex", s.data + b" ", last=False) is None  # changed since: parse again
    assert "a.ex" not in trees
    assert trees.keep("a.ex", s, waiting=True)
    assert trees.take("a.ex", bytes(s.data), last=False) is s  # waiting: kept for the last pass
    assert "a.ex" in trees
    assert trees.take("a.ex", s.data, last=True) is s
    assert "a.ex" not in trees and trees.size == 0


def test_a_file_finished_in_the_first_pass_is_taken_once():
    trees = api._Trees(budget=1000)
    s = source(100)
    assert trees.keep("b.ex", s, waiting=False)
    assert trees.take("b.ex", s.data, last=False) is s
    assert "b.ex" not in trees


def test_budget_and_who_makes_room():
    trees = api._Trees(budget=300)
    maybe1, maybe2 = source(120, "m"), source(120, "n")
    assert trees.keep("m.ex", maybe1, waiting=False)
    assert trees.keep("n.ex", maybe2, waiting=False)
    assert not trees.keep("o.ex", source(120, "o"), waiting=False)  # full: not kept
    waits = source(150, "w")
    assert trees.keep("w.ex", waits, waiting=True)  # a waiting file pushes out the oldest
    assert "m.ex" not in trees and "n.ex" in trees and "w.ex" in trees
    assert trees.size == len(maybe2.data) + len(waits.data) <= 300
    assert not trees.keep("x.ex", source(400, "x"), waiting=True)  # larger than the budget:
    assert "n.ex" in trees  # nothing pushed out for it
    trees.only_waiting()
    assert "n.ex" not in trees and "w.ex" in trees and trees.size == len(waits.data)


def test_budget_zero_keeps_nothing():
    trees = api._Trees(budget=0)
    assert not trees.keep("a.ex", source(50), waiting=True)
    assert trees.size == 0


def test_provided_keys_stored_once_for_rules_that_share_them():
    """`_provides_out`: a rule whose provided keys are the very object of an earlier
    rule's is stored as that rule's id; `_keys_in` gives back equal keys, in order."""
    shared = (b"A/f", b"A/g")
    keys = {"broad-catch": shared, "narrow-rescue": shared, "rest-for-one": (b"A/f",), "other": None}
    stored = api._provides_out(keys)
    assert stored == {"broad-catch": ["A/f", "A/g"], "narrow-rescue": "broad-catch", "rest-for-one": ["A/f"], "other": None}
    assert api._keys_in(stored) == keys and list(api._keys_in(stored)) == list(keys)
    equal_not_same = {"a": tuple([b"X"]), "b": tuple([b"X"])}
    assert api._provides_out(equal_not_same) == {"a": ["X"], "b": ["X"]}
    # Malformed: a reference to nothing, or to a reference: not decoded (every rule then
    # counts as providing any key: never a wrong skip).
    assert api._keys_in({"a": "b"}) is None
    assert api._keys_in({"a": "b", "b": "c", "c": ["X"]}) is None
    assert api._keys_in({"a": 3}) is None
