"""Calendar arithmetic."""
from datetime import date


def add_months(day: date, months: int) -> date:
    month = day.month + months
    year = day.year + month // 12
    month = month % 12
    return day.replace(year=year, month=month)
