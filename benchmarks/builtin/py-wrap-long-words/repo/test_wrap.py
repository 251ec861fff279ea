from wrap import wrap


def test_short_words():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]
