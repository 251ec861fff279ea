"""Calendar arithmetic."""
import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later (or earlier), clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
