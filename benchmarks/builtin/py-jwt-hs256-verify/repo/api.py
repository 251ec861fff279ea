"""Request authentication for the API handlers."""
from __future__ import annotations

from tokens import InvalidToken, verify

CLOCK_SKEW = 30  # seconds our servers' clocks may disagree


def authenticate(headers: dict[str, str], secret: bytes, now: float | None = None) -> tuple[int, dict | str]:
    """(200, claims) for a request carrying a valid bearer token, else (401, reason)."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return 401, "missing bearer token"
    try:
        claims = verify(auth[len("Bearer "):], secret, now=now, leeway=CLOCK_SKEW)
    except InvalidToken as e:
        return 401, str(e)
    return 200, claims
