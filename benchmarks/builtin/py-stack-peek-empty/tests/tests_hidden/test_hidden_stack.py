import pytest

from stack import BoundedStack, StackEmpty, StackFull
from undo import History


def test_empty_pop_and_peek():
    s = BoundedStack(2)
    with pytest.raises(StackEmpty):
        s.pop()
    with pytest.raises(StackEmpty):
        s.peek()


def test_full_push_rejected():
    s = BoundedStack(2)
    s.push("a")
    s.push("b")
    with pytest.raises(StackFull):
        s.push("c")
    assert len(s) == 2 and s.peek() == "b"


def test_undo_on_empty_history():
    h = History()
    assert h.undo() is None
    h.record("x")
    assert h.undo() == "x"
    assert h.undo() is None
