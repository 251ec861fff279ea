"""Card number checks for the checkout form, run before the number goes to the payment processor."""
from __future__ import annotations

# Issuer prefixes, longest first, for the card logo next to the field.
BRANDS = (
    ("34", "amex"),
    ("37", "amex"),
    ("6011", "discover"),
    ("51", "mastercard"),
    ("52", "mastercard"),
    ("53", "mastercard"),
    ("54", "mastercard"),
    ("55", "mastercard"),
    ("4", "visa"),
)

MIN_DIGITS, MAX_DIGITS = 12, 19


def normalize(number: str) -> str:
    """The number as the customer typed it, with the spaces and dashes between groups removed."""
    return number.replace(" ", "").replace("-", "")


def luhn_valid(number: str) -> bool:
    """Whether the number passes the Luhn (mod 10) check, which catches most typing mistakes."""
    digits = normalize(number)
    if not (digits.isascii() and digits.isdigit()) or not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return False
    total = 0
    # Every second digit is doubled, counting from the check digit on the right (which is not).
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand(number: str) -> str | None:
    """The card brand for the logo, or None when the prefix is unknown."""
    digits = normalize(number)
    for prefix, name in BRANDS:
        if digits.startswith(prefix):
            return name
    return None


def check_field(number: str) -> str:
    """The message the form shows under the card number field."""
    if not luhn_valid(number):
        return "This card number looks mistyped."
    return f"OK ({brand(number) or 'card'})"
