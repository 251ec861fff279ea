"""Request authentication for the API handlers."""
from __future__ import annotations

from tokens import InvalidToken, verify

CLOCK_SKEW = 30  # seconds our servers' clocks may disagree


def _header(headers: dict[str, str], name: str) -> str:
    """A request header by name; HTTP header names are case-insensitive."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def authenticate(headers: dict[str, str], secret: bytes, now: float | None = None) -> tuple[int, dict | str]:
    """(200, claims) for a request carrying a valid bearer token, else (401, reason)."""
    scheme, _, token = _header(headers, "Authorization").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, "missing bearer token"
    try:
        claims = verify(token.strip(), secret, now=now, leeway=CLOCK_SKEW)
    except InvalidToken as e:
        return 401, str(e)
    return 200, claims
