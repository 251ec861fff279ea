from stack import BoundedStack


def test_push_pop():
    s = BoundedStack(3)
    s.push(1)
    s.push(2)
    assert s.pop() == 2 and len(s) == 1
