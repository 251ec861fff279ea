"""Cron expressions: five fields, `minute hour day-of-month month day-of-week`."""
from __future__ import annotations

from datetime import datetime, timedelta

# name, lowest and highest value of each field
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6))


class CronError(ValueError):
    """An invalid cron expression."""


def parse_field(text: str, lo: int, hi: int) -> set[int]:
    """The values a field allows: `*`, a number, a range `a-b`, or a comma-separated list of these."""
    values: set[int] = set()
    for part in text.split(","):
        if part == "*":
            values.update(range(lo, hi + 1))
        elif "-" in part:
            start, stop = part.split("-")
            values.update(range(int(start), int(stop) + 1))
        else:
            values.add(int(part))
    return values


class CronExpr:
    def __init__(self, text: str):
        self.text = text
        parts = text.split()
        if len(parts) != len(FIELDS):
            raise CronError(f"expected {len(FIELDS)} fields, got {len(parts)}: {text!r}")
        self.minutes, self.hours, self.days, self.months, self.weekdays = (
            parse_field(part, lo, hi) for part, (_name, lo, hi) in zip(parts, FIELDS))

    def __repr__(self) -> str:
        return f"CronExpr({self.text!r})"

    def matches(self, t: datetime) -> bool:
        return (t.minute in self.minutes and t.hour in self.hours and t.day in self.days
                and t.month in self.months and t.weekday() in self.weekdays)

    def next_run(self, after: datetime) -> datetime:
        """The first time after `after` at which the expression fires."""
        t = after + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self.matches(t):
                return t
            t += timedelta(minutes=1)
        raise CronError(f"no run within a year for {self.text!r}")
