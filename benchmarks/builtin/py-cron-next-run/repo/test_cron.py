from datetime import datetime

from cron import CronExpr
from scheduler import upcoming


def test_daily():
    assert CronExpr("30 9 * * *").next_run(datetime(2024, 3, 1, 8, 0)) == datetime(2024, 3, 1, 9, 30)
    assert CronExpr("30 9 * * *").next_run(datetime(2024, 3, 1, 9, 30)) == datetime(2024, 3, 2, 9, 30)


def test_upcoming():
    runs = upcoming({"a": "0 8 * * *", "b": "30 7 * * *"}, datetime(2024, 3, 1, 7, 0), 3)
    assert runs == [(datetime(2024, 3, 1, 7, 30), "b"), (datetime(2024, 3, 1, 8, 0), "a"),
                    (datetime(2024, 3, 2, 7, 30), "b")]
