from pager import paginate


def test_first_page():
    p = paginate(list(range(30)), 1, 10)
    assert p.items == list(range(10))
    assert p.has_next and not p.has_prev
