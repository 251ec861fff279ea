from datetime import date

from billing import renewals


def test_mid_month():
    assert renewals(date(2024, 1, 15), 2) == [date(2024, 2, 15), date(2024, 3, 15)]
