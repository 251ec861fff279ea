from formula import evaluate


def test_basics():
    assert evaluate("2 * 3 + 4") == 10
    assert evaluate("2 * (3 + 4)") == 14
    assert evaluate("rate * 2", {"rate": 1.5}) == 3.0
