"""Plain-text balance report."""
from numfmt import format_number


def balance_lines(entries: dict) -> list:
    width = max(len(k) for k in entries)
    return [f"{k.ljust(width)}  {format_number(v, 2):>14}" for k, v in entries.items()]
