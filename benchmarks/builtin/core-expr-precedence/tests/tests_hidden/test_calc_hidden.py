import pytest

from calc import CalcError, evaluate


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("10 - 4 - 3", 3),
        ("2 ^ 3 ^ 2", 512),
        ("-2 ^ 2", -4),
        ("2 * -3", -6),
        ("--1", 1),
        ("7 % 4 * 2", 6),
        ("1 / 4 + .5", 0.75),
        ("((1))", 1),
        ("2 * (3 + -(1 - 4))", 12),
    ],
)
def test_evaluate(text, expected):
    result = evaluate(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("text", ["", "1 +", "(1 + 2", "1 + 2)", "1 2", "* 3", "4 / (2 - 2)", "()"])
def test_errors(text):
    with pytest.raises(CalcError):
        evaluate(text)
