from editor import Editor


def test_new_edit_clears_redo():
    e = Editor()
    e.type("hello")
    e.undo()
    e.type("x")
    assert not e.can_redo
    assert e.redo() is False
    assert e.text == "x"
    assert e.undo() is True
    assert e.text == ""
    assert e.undo() is False


def test_delete_after_undo_clears_redo():
    e = Editor("abcdef")
    e.delete(0, 2)
    e.delete(0, 2)
    assert e.text == "ef"
    e.undo()
    assert e.text == "cdef" and e.can_redo
    e.delete(3, 1)
    assert e.text == "cde"
    assert e.redo() is False
    e.undo()
    e.undo()
    assert e.text == "abcdef"


def test_limit_drops_the_oldest_steps():
    e = Editor("0123456789", limit=3)
    for _ in range(5):
        e.delete(0, 1)
    assert e.text == "56789"
    assert [e.undo(), e.undo(), e.undo()] == [True, True, True]
    assert e.text == "23456789"
    assert e.undo() is False and not e.can_undo
    assert e.text == "23456789"
    for _ in range(3):
        assert e.redo()
    assert e.text == "56789"


def test_typing_groups_only_adjacent_keystrokes():
    e = Editor()
    e.type("ab")
    e.move(0)
    e.type("c")
    assert e.text == "cab"
    e.undo()
    assert e.text == "ab"
    e.undo()
    assert e.text == ""


def test_move_to_same_place_ends_group():
    e = Editor()
    e.type("ab")
    e.move(2)
    e.type("cd")
    assert e.text == "abcd"
    e.undo()
    assert e.text == "ab"
    e.redo()
    assert e.text == "abcd"


def test_undo_redo_end_the_group():
    e = Editor()
    e.type("one")
    e.undo()
    e.redo()
    e.move(3)
    e.type(" two")
    e.undo()
    assert e.text == "one"
    e.type("!")
    e.undo()
    assert e.text == "one"


def test_typing_after_redo_is_a_new_step():
    e = Editor()
    e.type("ab")
    e.undo()
    e.redo()
    assert e.text == "ab"
    e.cursor = 2  # the cursor is where it was; no move() call
    e.type("c")
    assert e.text == "abc"
    e.undo()
    assert e.text == "ab"


def test_long_session_round_trip():
    e = Editor("The quick fox", limit=50)
    e.move(10)
    e.type("brown ")
    e.delete(0, 4)
    e.move(0)
    e.type("A ")
    states = []
    while e.can_undo:
        states.append(e.text)
        e.undo()
    assert e.text == "The quick fox"
    assert states == ["A quick brown fox", "quick brown fox", "The quick brown fox"]
    while e.redo():
        pass
    assert e.text == "A quick brown fox"
