"""The editor tool on real files: views, edits, the errors the model acts on, and undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgm_agent.tools import ToolError
from dgm_agent.tools.editor import Editor


@pytest.fixture
def editor(tmp_path: Path) -> Editor:
    (tmp_path / "code.py").write_text("def f():\n    return 1\n\n\ndef g():\n    return 1\n")
    return Editor(tmp_path)


def test_view_numbers_lines_and_honours_ranges(editor: Editor) -> None:
    assert editor("view", "code.py").splitlines()[1] == "     2\t    return 1"
    assert editor("view", "code.py", view_range=[5, -1]) == "     5\tdef g():\n     6\t    return 1"
    with pytest.raises(ToolError, match=r"outside .*code.py, which has 6 lines"):
        editor("view", "code.py", view_range=[7, 9])


def test_view_long_file_says_how_to_see_the_rest(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("".join(f"line {n}\n" for n in range(1, 5001)))
    shown = Editor(tmp_path, max_output=2000)("view", "long.txt")
    assert shown.startswith("     1\tline 1\n") and "not shown; view them with view_range" in shown


def test_view_directory_two_levels_without_hidden(editor: Editor, tmp_path: Path) -> None:
    (tmp_path / "pkg" / "deep" / "deeper").mkdir(parents=True)
    (tmp_path / "pkg" / "deep" / "deeper" / "x.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / "pkg" / ".hidden").write_text("")
    listing = editor("view", str(tmp_path)).splitlines()[1:]
    assert listing == ["code.py", "pkg/", "pkg/deep/", "pkg/mod.py"]


def test_str_replace_needs_a_unique_exact_match(editor: Editor, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not unique: 2 matches at lines 2, 6"):
        editor("str_replace", "code.py", old_str="return 1", new_str="return 2")
    with pytest.raises(ToolError, match="no match for old_str"):
        editor("str_replace", "code.py", old_str="return  1", new_str="return 2")
    shown = editor("str_replace", "code.py", old_str="def g():\n    return 1", new_str="def g():\n    return 2")
    assert "     6\t    return 2" in shown
    assert (tmp_path / "code.py").read_text().endswith("def g():\n    return 2\n")


def test_insert_after_a_line_and_bounds(editor: Editor, tmp_path: Path) -> None:
    editor("insert", "code.py", insert_line=0, new_str="import os")
    editor("insert", "code.py", insert_line=7, new_str="# end\n")
    assert (tmp_path / "code.py").read_text().splitlines()[0] == "import os"
    assert (tmp_path / "code.py").read_text().endswith("    return 1\n# end\n")
    with pytest.raises(ToolError, match=r"insert_line 99 is outside .* which has 8 lines; use 0 .top. to 8"):
        editor("insert", "code.py", insert_line=99, new_str="x")


def test_create_then_undo_each_edit(editor: Editor, tmp_path: Path) -> None:
    original = (tmp_path / "code.py").read_text()
    assert editor("create", "new/dir/file.txt", file_text="a\nb\n").startswith("Created")
    assert editor("create", "code.py", file_text="replaced\n").startswith("Overwrote")
    editor("str_replace", "code.py", old_str="replaced", new_str="edited")
    editor("undo_edit", "code.py")
    assert (tmp_path / "code.py").read_text() == "replaced\n"
    editor("undo_edit", "code.py")
    assert (tmp_path / "code.py").read_text() == original
    editor("undo_edit", "new/dir/file.txt")
    assert not (tmp_path / "new/dir/file.txt").exists()
    with pytest.raises(ToolError, match=r"no edit of .*code.py to undo"):
        editor("undo_edit", "code.py")


def test_missing_files_and_arguments_are_named(editor: Editor, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"nope.py does not exist"):
        editor("view", "nope.py")
    with pytest.raises(ToolError, match=r"nope.py does not exist"):
        editor("str_replace", str(tmp_path / "nope.py"), old_str="a", new_str="b")
    with pytest.raises(ToolError, match="needs the argument 'old_str'"):
        editor("str_replace", "code.py", new_str="b")
    with pytest.raises(ToolError, match="unknown editor command 'delete'"):
        editor("delete", "code.py")


def test_crlf_and_non_utf8_bytes_survive_an_edit(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"caf\xe9\r\nold\r\n")
    Editor(tmp_path)("str_replace", "w.txt", old_str="old", new_str="new\nline")
    assert (tmp_path / "w.txt").read_bytes() == b"caf\xe9\r\nnew\r\nline\r\n"
