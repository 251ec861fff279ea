import pytest

from listing import render
from pager import page_count, paginate


@pytest.mark.parametrize("total,per,expected", [(25, 10, 3), (20, 10, 2), (21, 10, 3), (1, 10, 1), (0, 10, 1)])
def test_page_count(total, per, expected):
    assert page_count(total, per) == expected


def test_last_partial_page():
    p = paginate(list(range(25)), 3, 10)
    assert p.items == [20, 21, 22, 23, 24]
    assert not p.has_next and p.has_prev


def test_empty_first_page():
    p = paginate([], 1, 10)
    assert p.items == [] and p.total_pages == 1


def test_out_of_range_still_rejected():
    with pytest.raises(ValueError):
        paginate(list(range(25)), 4, 10)


def test_render_last_page():
    out = render([f"n{i}" for i in range(12)], 2, 10)
    assert out.splitlines() == ["- n10", "- n11", "page 2/2"]
