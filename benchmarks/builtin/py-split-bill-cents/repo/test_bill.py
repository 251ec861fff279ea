from splitter.bill import split_bill


def test_even_split():
    assert [str(x) for x in split_bill("90.00", 0, 3)] in (["30.0"] * 3, ["30.00"] * 3)
