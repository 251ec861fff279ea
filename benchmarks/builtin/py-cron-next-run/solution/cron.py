"""Cron expressions: five fields, `minute hour day-of-month month day-of-week`."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

# name, lowest and highest value of each field (day of week: 0 and 7 are both Sunday)
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
ITEM = re.compile(r"(?:(\*)|(\d+)(?:-(\d+))?)(?:/(\d+))?")
# Leap days can be eight years apart (2096-02-29, then 2104-02-29); nothing that can fire waits longer.
SEARCH_DAYS = 9 * 366


class CronError(ValueError):
    """An invalid cron expression."""


def parse_field(text: str, lo: int, hi: int, name: str = "field") -> set[int]:
    """The values a field allows: comma-separated items `*`, `n`, `a-b`, `*/step` or `a-b/step`."""
    values: set[int] = set()
    for part in text.split(","):
        m = ITEM.fullmatch(part)
        if not m:
            raise CronError(f"{name}: invalid item {part!r}")
        star, start, stop, step = m.groups()
        if step is not None and star is None and stop is None:
            raise CronError(f"{name}: a step needs `*` or a range: {part!r}")
        if star:
            first, last = lo, hi
        else:
            first = int(start)
            last = first if stop is None else int(stop)
        if first < lo or last > hi:
            raise CronError(f"{name}: {part!r} is outside {lo}-{hi}")
        if first > last:
            raise CronError(f"{name}: reversed range {part!r}")
        every = 1 if step is None else int(step)
        if every < 1:
            raise CronError(f"{name}: step must be at least 1 in {part!r}")
        values.update(range(first, last + 1, every))
    return values


class CronExpr:
    def __init__(self, text: str):
        self.text = text
        parts = text.split()
        if len(parts) != len(FIELDS):
            raise CronError(f"expected {len(FIELDS)} fields, got {len(parts)}: {text!r}")
        self.minutes, self.hours, self.days, self.months, weekdays = (
            parse_field(part, lo, hi, name) for part, (name, lo, hi) in zip(parts, FIELDS))
        self.weekdays = {d % 7 for d in weekdays}  # 0 = Sunday
        # Standard cron: when both day fields are restricted, a day matches if either does.
        self._days_either = parts[2] != "*" and parts[4] != "*"

    def __repr__(self) -> str:
        return f"CronExpr({self.text!r})"

    def _day_matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        by_month_day = d.day in self.days
        by_weekday = d.isoweekday() % 7 in self.weekdays
        return by_month_day or by_weekday if self._days_either else by_month_day and by_weekday

    def matches(self, t: datetime) -> bool:
        return t.minute in self.minutes and t.hour in self.hours and self._day_matches(t.date())

    def next_run(self, after: datetime) -> datetime:
        """The first whole minute strictly after `after` at which the expression fires."""
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        day = start.date()
        for _ in range(SEARCH_DAYS):
            if self._day_matches(day):
                first_day = day == start.date()
                for hour in hours:
                    if first_day and hour < start.hour:
                        continue
                    for minute in minutes:
                        if first_day and hour == start.hour and minute < start.minute:
                            continue
                        return datetime(day.year, day.month, day.day, hour, minute)
            day += timedelta(days=1)
        raise CronError(f"{self.text!r} never fires")
