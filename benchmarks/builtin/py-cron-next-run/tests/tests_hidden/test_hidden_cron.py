from datetime import datetime

import pytest

from cron import CronError, CronExpr
from scheduler import upcoming

FRI = datetime(2024, 3, 1)  # a Friday


def runs(expr, after, n):
    cron, out = CronExpr(expr), []
    for _ in range(n):
        after = cron.next_run(after)
        out.append(after)
    return out


def test_seconds_are_dropped():
    cron = CronExpr("0 9 * * *")
    assert cron.next_run(datetime(2024, 3, 1, 8, 59, 30)) == datetime(2024, 3, 1, 9, 0)
    assert cron.next_run(datetime(2024, 3, 1, 9, 0)) == datetime(2024, 3, 2, 9, 0)
    assert cron.next_run(datetime(2024, 3, 1, 9, 0, 15, 500)) == datetime(2024, 3, 2, 9, 0)
    assert cron.next_run(datetime(2024, 3, 1, 8, 59, 59, 999999)).second == 0


def test_steps():
    assert CronExpr("*/15 * * * *").next_run(datetime(2024, 3, 1, 10, 7)) == datetime(2024, 3, 1, 10, 15)
    assert CronExpr("*/15 * * * *").next_run(datetime(2024, 3, 1, 10, 45)) == datetime(2024, 3, 1, 11, 0)
    assert [t.minute for t in runs("10-30/10 8 * * *", FRI, 4)] == [10, 20, 30, 10]
    assert [t.hour for t in runs("0 */6 * * *", FRI, 5)] == [6, 12, 18, 0, 6]
    assert [t.day for t in runs("0 0 */10 * *", FRI, 4)] == [11, 21, 31, 1]
    assert [t.minute for t in runs("0-4/2,50 12 * * *", FRI, 4)] == [0, 2, 4, 50]


def test_day_of_week_numbers():
    assert CronExpr("0 9 * * 1").next_run(FRI) == datetime(2024, 3, 4, 9, 0)
    assert CronExpr("0 9 * * 0").next_run(FRI) == datetime(2024, 3, 3, 9, 0)
    assert CronExpr("0 9 * * 7").next_run(FRI) == datetime(2024, 3, 3, 9, 0)
    assert CronExpr("0 9 * * 6").next_run(FRI) == datetime(2024, 3, 2, 9, 0)
    assert [t.day for t in runs("0 9 * * 1-5", datetime(2024, 3, 1, 10, 0), 3)] == [4, 5, 6]
    assert [t.day for t in runs("0 9 * * 5-7", FRI, 4)] == [1, 2, 3, 8]


def test_both_day_fields_restricted_means_either():
    assert [t.day for t in runs("0 0 13 * 5", FRI, 4)] == [8, 13, 15, 22]
    assert [t.day for t in runs("0 0 1,15 * 1", FRI, 3)] == [4, 11, 15]


def test_one_day_field_restricted():
    assert [t.day for t in runs("0 0 13 * *", FRI, 2)] == [13, 13]
    assert [t.month for t in runs("0 0 13 * *", FRI, 2)] == [3, 4]
    assert [t.day for t in runs("0 0 * * 5", FRI, 3)] == [8, 15, 22]


def test_months_and_years():
    assert CronExpr("30 23 31 * *").next_run(datetime(2024, 4, 1)) == datetime(2024, 5, 31, 23, 30)
    assert CronExpr("59 23 31 12 *").next_run(datetime(2024, 12, 31, 23, 59)) == datetime(2025, 12, 31, 23, 59)
    assert CronExpr("0 12 * 2,8 *").next_run(datetime(2024, 3, 5)) == datetime(2024, 8, 1, 12, 0)


def test_leap_days():
    assert CronExpr("0 0 29 2 *").next_run(FRI) == datetime(2028, 2, 29, 0, 0)
    assert CronExpr("0 0 29 2 *").next_run(datetime(2097, 1, 1)) == datetime(2104, 2, 29, 0, 0)


@pytest.mark.parametrize("expr", ["0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_never_fires(expr):
    with pytest.raises(CronError):
        CronExpr(expr).next_run(FRI)


@pytest.mark.parametrize("expr", [
    "", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 0 *",
    "* * * 13 *", "* * * * 8", "5-2 * * * *", "*/0 * * * *", "1,,2 * * * *", "a * * * *", "*/x * * * *",
    "-1 * * * *", "1-2-3 * * * *", "*/ * * * *",
])
def test_invalid_expressions(expr):
    with pytest.raises(CronError):
        CronExpr(expr)


def test_upcoming_across_jobs():
    jobs = {"backup": "30 2 * * *", "report": "0 9 * * 1-5", "rotate": "0 */12 * * *", "cleanup": "0 0 * * 6,0"}
    got = upcoming(jobs, datetime(2024, 3, 1, 20, 0, 30), 11)
    assert got == [
        (datetime(2024, 3, 2, 0, 0), "cleanup"), (datetime(2024, 3, 2, 0, 0), "rotate"),
        (datetime(2024, 3, 2, 2, 30), "backup"), (datetime(2024, 3, 2, 12, 0), "rotate"),
        (datetime(2024, 3, 3, 0, 0), "cleanup"), (datetime(2024, 3, 3, 0, 0), "rotate"),
        (datetime(2024, 3, 3, 2, 30), "backup"), (datetime(2024, 3, 3, 12, 0), "rotate"),
        (datetime(2024, 3, 4, 0, 0), "rotate"), (datetime(2024, 3, 4, 2, 30), "backup"),
        (datetime(2024, 3, 4, 9, 0), "report"),
    ]
