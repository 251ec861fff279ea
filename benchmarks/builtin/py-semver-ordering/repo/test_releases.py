from releases import latest_release


def test_simple():
    assert latest_release(["v1.0.0", "v1.2.0", "notes"]) == "v1.2.0"
