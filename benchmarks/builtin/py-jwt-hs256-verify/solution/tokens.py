"""Signed session tokens: JSON Web Tokens with HMAC-SHA256 (HS256)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time

ALGORITHM = "HS256"  # the only one accepted: the header cannot choose another, least of all "none"
SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not yet valid."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode unpadded base64url (JWTs strip the `=` padding, which the decoder needs back)."""
    if not SEGMENT.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidToken("malformed token segment")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed token segment") from None


def _json_object(segment: str, what: str) -> dict:
    try:
        value = json.loads(_b64decode(segment))
    except (UnicodeDecodeError, ValueError):
        raise InvalidToken(f"token {what} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"token {what} is not a JSON object")
    return value


def _json(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def sign(claims: dict, secret: bytes) -> str:
    signing_input = _b64encode(_json({"alg": ALGORITHM, "typ": "JWT"})) + "." + _b64encode(_json(claims))
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64encode(signature)


def _time_claim(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    if value is None and name not in claims:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"claim {name!r} must be a number")
    return value


def verify(token: str, secret: bytes, *, now: float | None = None, leeway: float = 0) -> dict:
    """The token's claims, if it is genuine and current; else InvalidToken."""
    if not isinstance(token, str):
        raise InvalidToken("token must be a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("token must have three segments")
    header_b64, payload_b64, signature_b64 = parts
    header = _json_object(header_b64, "header")
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"unsupported algorithm {header.get('alg')!r}")
    signature = _b64decode(signature_b64)
    expected = hmac.new(secret, f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("bad signature")
    claims = _json_object(payload_b64, "payload")
    now = time.time() if now is None else now
    exp, nbf = _time_claim(claims, "exp"), _time_claim(claims, "nbf")
    if exp is not None and now >= exp + leeway:
        raise InvalidToken("token expired")
    if nbf is not None and now < nbf - leeway:
        raise InvalidToken("token not yet valid")
    return claims
