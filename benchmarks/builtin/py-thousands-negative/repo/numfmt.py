"""Number formatting for reports (no locale dependency)."""


def group_digits(digits: str, sep: str = ",") -> str:
    """Insert sep every three digits from the right: '1234567' -> '1,234,567'."""
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sep.join(groups)


def format_number(value: float, decimals: int = 0, sep: str = ",") -> str:
    text = str(round(value, decimals))
    if decimals:
        whole, frac = text.split(".")
        frac = frac.ljust(decimals, "0")
    else:
        whole, frac = text.split(".")[0], ""
    out = group_digits(whole, sep)
    return f"{out}.{frac}" if decimals else out
