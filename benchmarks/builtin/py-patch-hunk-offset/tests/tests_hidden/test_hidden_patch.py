import difflib

import pytest

import patchfile
from patch import PatchError, apply_patch, parse_hunks

BASE = "".join(f"line {i}\n" for i in range(1, 41))
# Three separate edits: two lines added after line 4, line 20 changed, lines 31-32 removed.
NEW = (BASE.replace("line 4\n", "line 4\nextra 1\nextra 2\n")
       .replace("line 20\n", "line twenty\n")
       .replace("line 31\nline 32\n", ""))


def make_diff(old, new, n=3):
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "a/f.txt", "b/f.txt", n=n))


def test_several_hunks_on_the_original():
    diff = make_diff(BASE, NEW)
    assert len(parse_hunks(diff)) == 3
    assert apply_patch(BASE, diff) == (NEW, [0, 0, 0])


def test_file_gained_lines_above():
    header = "header a\nheader b\nheader c\n"
    assert apply_patch(header + BASE, make_diff(BASE, NEW)) == (header + NEW, [3, 3, 3])


def test_file_lost_lines_between_hunks():
    current = BASE.replace("line 12\nline 13\n", "")
    expected = NEW.replace("line 12\nline 13\n", "")
    assert apply_patch(current, make_diff(BASE, NEW)) == (expected, [0, -2, -2])


def test_lines_gained_in_the_middle():
    current = BASE.replace("line 25\n", "line 25\nnew a\nnew b\nnew c\nnew d\n")
    expected = NEW.replace("line 25\n", "line 25\nnew a\nnew b\nnew c\nnew d\n")
    assert apply_patch(current, make_diff(BASE, NEW)) == (expected, [0, 0, 4])


def test_context_mismatch_raises_naming_the_hunk():
    current = BASE.replace("line 19\n", "line nineteen\n")
    with pytest.raises(PatchError, match="hunk #2"):
        apply_patch(current, make_diff(BASE, NEW))


def test_removed_line_mismatch_raises():
    current = BASE.replace("line 32\n", "line 32 (edited)\n")
    with pytest.raises(PatchError, match="hunk #3"):
        apply_patch(current, make_diff(BASE, NEW))


def test_omitted_counts():
    diff = make_diff(BASE, BASE.replace("line 7\n", "line seven\n"), n=0)
    assert "@@ -7 +7 @@" in diff
    (hunk,) = parse_hunks(diff)
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (7, 1, 7, 1)
    assert apply_patch(BASE, diff) == (BASE.replace("line 7\n", "line seven\n"), [0])

    diff = "@@ -7 +7,2 @@\n-line 7\n+line 7a\n+line 7b\n"
    (hunk,) = parse_hunks(diff)
    assert (hunk.old_len, hunk.new_len) == (1, 2)
    assert apply_patch(BASE, diff)[0] == BASE.replace("line 7\n", "line 7a\nline 7b\n")


def test_zero_context_hunks_after_growth():
    new = BASE.replace("line 3\n", "line three\nplus\nplus\n").replace("line 10\n", "line ten\n")
    assert apply_patch(BASE, make_diff(BASE, new, n=0)) == (new, [0, 0])


def test_nearest_position_wins():
    text = "a\nx\nb\nc\nd\ne\nx\nf\n"  # "x" on lines 2 and 7
    diff = "@@ -6 +6 @@\n-x\n+y\n"
    assert apply_patch(text, diff) == ("a\nx\nb\nc\nd\ne\ny\nf\n", [1])


def test_tie_prefers_the_earlier_position():
    text = "a\nb\nx\nc\nd\ne\nx\nf\n"  # "x" on lines 3 and 7, hunk expects line 5
    diff = "@@ -5 +5 @@\n-x\n+y\n"
    assert apply_patch(text, diff) == ("a\nb\ny\nc\nd\ne\nx\nf\n", [-2])


def test_cli_failure_writes_nothing(tmp_path, capsys):
    target, diff = tmp_path / "f.txt", tmp_path / "f.diff"
    current = BASE.replace("line 20\n", "line 20 (local change)\n")
    target.write_text(current)
    diff.write_text(make_diff(BASE, NEW))
    assert patchfile.main([str(target), str(diff)]) == 1
    assert target.read_text() == current
    assert "hunk #2" in capsys.readouterr().err


def test_cli_reports_offsets(tmp_path, capsys):
    target, diff = tmp_path / "f.txt", tmp_path / "f.diff"
    target.write_text("# copyright\n" + BASE)
    diff.write_text(make_diff(BASE, NEW))
    assert patchfile.main([str(target), str(diff)]) == 0
    assert target.read_text() == "# copyright\n" + NEW
    out = capsys.readouterr().out
    assert "hunk #1 applied with offset +1" in out and "hunk #3 applied with offset +1" in out
