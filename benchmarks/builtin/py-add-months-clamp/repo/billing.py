"""Renewal dates of monthly subscriptions."""
from datetime import date

from dates import add_months


def renewals(start: date, count: int) -> list:
    """The next `count` renewal dates, each computed from the start date."""
    return [add_months(start, n) for n in range(1, count + 1)]
