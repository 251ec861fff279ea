from intervals import merge_intervals


def test_unsorted_input():
    assert merge_intervals([(8, 10), (1, 3), (2, 6)]) == [(1, 6), (8, 10)]


def test_touching_intervals_merge():
    assert merge_intervals([(1, 3), (3, 5)]) == [(1, 5)]


def test_contained_interval():
    assert merge_intervals([(1, 10), (2, 3), (4, 5)]) == [(1, 10)]


def test_disjoint_and_empty():
    assert merge_intervals([]) == []
    assert merge_intervals([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_input_not_modified():
    given = [(3, 4), (1, 2)]
    merge_intervals(given)
    assert given == [(3, 4), (1, 2)]
