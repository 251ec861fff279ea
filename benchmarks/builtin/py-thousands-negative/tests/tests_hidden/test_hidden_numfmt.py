import pytest

from numfmt import format_number
from report import balance_lines


@pytest.mark.parametrize("value,decimals,text", [
    (-123456, 0, "-123,456"), (-100.5, 2, "-100.50"), (-12, 0, "-12"), (-1234.5, 1, "-1,234.5"),
    (999.999, 2, "1,000.00"), (0, 2, "0.00"), (1000000, 0, "1,000,000"), (5.5, 2, "5.50"),
])
def test_format(value, decimals, text):
    assert format_number(value, decimals) == text


def test_report_negative():
    lines = balance_lines({"rent": -950.0, "salary": 3200.0})
    assert lines[0].split() == ["rent", "-950.00"]
    assert lines[1].split() == ["salary", "3,200.00"]
