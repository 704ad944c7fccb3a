"""Edit merging: overlap, adjacency, same-offset insertions, no-ops, line endings."""

import pytest

from otpfix.edits import apply_fixes, encode_edit, newline_at
from otpfix.types import Applicability, Edit, Fix


def fx(*edits, title="t"):
    return Fix(title, tuple(edits), Applicability.SAFE)


def test_disjoint_fixes_apply_in_one_pass():
    r = apply_fixes(b"abcdef", [fx(Edit(4, 5, "E")), fx(Edit(0, 1, "A"))])
    assert r.data == b"AbcdEf"
    assert sorted(r.applied) == [0, 1] and r.deferred == ()


def test_overlapping_fix_is_deferred():
    r = apply_fixes(b"abcdef", [fx(Edit(0, 3, "X")), fx(Edit(2, 4, "Y"))])
    assert r.data == b"Xdef"
    assert r.applied == (0,) and r.deferred == (1,)


def test_adjacent_fixes_touch_and_the_second_waits():
    r = apply_fixes(b"abcdef", [fx(Edit(0, 2, "X")), fx(Edit(2, 4, "Y"))])
    assert r.data == b"Xcdef"
    assert r.deferred == (1,)


def test_two_insertions_at_the_same_offset_do_not_both_apply():
    r = apply_fixes(b"abc", [fx(Edit.insert(1, "1")), fx(Edit.insert(1, "2"))])
    assert r.data == b"a1bc"
    assert r.applied == (0,) and r.deferred == (1,)


def test_edits_inside_one_fix_may_be_adjacent():
    r = apply_fixes(b"abcd", [fx(Edit(0, 1, "A"), Edit(1, 2, "B"))])
    assert r.data == b"ABcd"


def test_fix_rejects_overlapping_edits_inside_itself():
    with pytest.raises(ValueError):
        fx(Edit(0, 3, "x"), Edit(2, 4, "y"))


def test_noop_fix_is_neither_applied_nor_deferred():
    r = apply_fixes(b"abc", [fx(Edit(0, 1, "a"))])
    assert r.data == b"abc" and r.applied == () and r.deferred == ()


def test_inserted_newlines_follow_crlf_of_the_line():
    data = b"a\r\nb\r\n"
    r = apply_fixes(data, [fx(Edit.insert(3, "x\ny\n"))])
    assert r.data == b"a\r\nx\r\ny\r\nb\r\n"


def test_mixed_line_endings_use_the_local_one():
    data = b"a\r\nb\nc\r\n"
    assert newline_at(data, 0) == b"\r\n"
    assert newline_at(data, 3) == b"\n"
    assert encode_edit(data, Edit.insert(3, "z\n")) == b"z\n"
    assert encode_edit(data, Edit.insert(5, "z\n")) == b"z\r\n"


def test_last_line_without_newline_uses_the_previous_ending():
    assert newline_at(b"a\r\nb", 4) == b"\r\n"
    assert newline_at(b"ab", 1) == b"\n"


def test_utf8_text_is_encoded():
    r = apply_fixes("é=1".encode(), [fx(Edit(0, 2, "ü"))])
    assert r.data == "ü=1".encode()


def test_bad_edit_range():
    with pytest.raises(ValueError):
        Edit(3, 2, "")


def test_many_fixes_in_one_file_all_apply():
    # (Quadratic merging made a file with ~100k fixes hang; speed itself is bench/'s job.)
    n = 30_000
    data = b"x" * (2 * n)
    fixes = [fx(Edit(2 * i, 2 * i + 1, "y")) for i in range(n)]
    r = apply_fixes(data, fixes)
    assert len(r.applied) == n and r.data == b"yx" * n


def test_conflicts_with_an_insertion_next_to_a_replacement_of_one_fix():
    # One fix inserts at 2 and replaces 2..5; another fix touching 5 must wait.
    r = apply_fixes(b"0123456789", [fx(Edit.insert(2, "I"), Edit(2, 5, "R")), fx(Edit(5, 6, "Z"))])
    assert r.data == b"01IR56789" and r.deferred == (1,)
    r = apply_fixes(b"0123456789", [fx(Edit.insert(2, "I"), Edit(2, 5, "R")), fx(Edit(4, 4, "Z"))])
    assert r.deferred == (1,)
