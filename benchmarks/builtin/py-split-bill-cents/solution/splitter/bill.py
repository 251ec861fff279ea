"""Split a restaurant bill (with tip) between people."""
from decimal import Decimal

from splitter.money import allocate, to_money


def split_bill(subtotal, tip_percent, people: int) -> list:
    total = to_money(to_money(subtotal) * (1 + Decimal(str(tip_percent)) / 100))
    return allocate(total, [1] * people)
