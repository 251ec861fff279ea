from calendar_view import free_slots
from intervals import merge_intervals


def test_touching_and_unsorted():
    blocks = [(9, 10), (13, 15), (10, 11), (14, 16)]
    assert merge_intervals(blocks) == [(9, 11), (13, 16)]
    assert blocks == [(9, 10), (13, 15), (10, 11), (14, 16)]


def test_contained_and_empty():
    assert merge_intervals([(1, 10), (2, 3), (4, 5)]) == [(1, 10)]
    assert merge_intervals([]) == []
    assert merge_intervals([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_free_slots():
    assert free_slots([(13, 15), (9, 10), (10, 11), (14, 16)]) == [(11, 13), (16, 17)]
    assert free_slots([]) == [(9, 17)]
