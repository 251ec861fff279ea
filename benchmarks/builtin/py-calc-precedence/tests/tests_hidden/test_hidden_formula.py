import pytest

from formula import FormulaError, evaluate


@pytest.mark.parametrize("text,value", [
    ("10 - 2 - 3", 5), ("2 ^ 3 ^ 2", 512), ("-2 ^ 2", -4), ("8 / 2 / 2", 2.0), ("2 ^ -1", 0.5),
    ("100 / 10 * 2", 20.0), ("1 - 2 + 3", 2), ("(1 - 2) - (3 - 4)", 0), ("2 * 3 ^ 2", 18), ("--3", 3),
    ("-(2 + 3) * 2", -10), ("2 ^ 2 ^ -1", 2 ** 0.5), ("10 - 4 / 2 - 1", 7.0),
])
def test_evaluate(text, value):
    assert evaluate(text) == pytest.approx(value)


def test_variables():
    assert evaluate("a - b - c", {"a": 10, "b": 3, "c": 2}) == 5


@pytest.mark.parametrize("text", ["1 +", "(", "2 *", "", "(1 + 2", "1 2", "x"])
def test_errors(text):
    with pytest.raises(FormulaError):
        evaluate(text)
