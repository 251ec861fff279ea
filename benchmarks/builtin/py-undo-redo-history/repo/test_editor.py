from editor import Editor


def test_typing_is_one_step():
    e = Editor()
    e.type("hello")
    assert e.text == "hello"
    assert e.undo() is True
    assert e.text == ""
    assert e.redo() is True
    assert e.text == "hello"


def test_delete_and_undo():
    e = Editor("hello world")
    e.delete(5, 6)
    assert e.text == "hello"
    e.undo()
    assert e.text == "hello world"
