from numfmt import format_number


def test_positive():
    assert format_number(1234567) == "1,234,567"
    assert format_number(1234.5, 2) == "1,234.50"
