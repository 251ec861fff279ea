from datetime import date

import pytest

from billing import renewals
from dates import add_months


@pytest.mark.parametrize("start,months,expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)), (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)), (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 11, 15), 3, date(2025, 2, 15)), (date(2024, 12, 1), 1, date(2025, 1, 1)),
    (date(2024, 1, 10), -1, date(2023, 12, 10)), (date(2024, 5, 5), 0, date(2024, 5, 5)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)), (date(2024, 6, 30), -30, date(2021, 12, 30)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_renewals_from_start():
    assert renewals(date(2024, 1, 31), 3) == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
