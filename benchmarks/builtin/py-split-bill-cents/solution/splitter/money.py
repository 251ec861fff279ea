"""Money helpers: exact decimals with cent precision."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    """A Decimal rounded half-up to cents (floats go through str to avoid binary artefacts)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total, weights: list) -> list:
    """Split total in proportion to weights; the shares sum exactly to total.

    Each share starts at its exact value truncated to cents (towards zero); the cents left over go one each to
    the shares with the largest remainders, earlier shares first on ties (largest remainder method).
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    total = to_money(total)
    sign = -1 if total < 0 else 1
    cents = int(abs(total) / CENT)
    whole = Decimal(sum(weights))
    exact = [Decimal(cents) * Decimal(w) / whole for w in weights]
    shares = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
    leftover = cents - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return [sign * Decimal(s) * CENT for s in shares]
