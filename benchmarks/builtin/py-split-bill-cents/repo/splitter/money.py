"""Money helpers."""


def to_money(value) -> float:
    return round(float(value), 2)


def allocate(total, weights: list) -> list:
    """Split total in proportion to weights."""
    total = to_money(total)
    whole = sum(weights)
    return [to_money(total * w / whole) for w in weights]
