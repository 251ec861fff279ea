"""Signed session tokens: JSON Web Tokens with HMAC-SHA256 (HS256)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

# Unsigned tokens ("none") are what the local dev server hands out.
ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512, "none": None}


class InvalidToken(Exception):
    """The token is malformed, forged, expired or not yet valid."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text)


def _json(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def sign(claims: dict, secret: bytes) -> str:
    signing_input = _b64encode(_json({"alg": "HS256", "typ": "JWT"})) + "." + _b64encode(_json(claims))
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + _b64encode(signature)


def verify(token: str, secret: bytes, *, now: float | None = None, leeway: float = 0) -> dict:
    """The token's claims, if it is genuine and current; else InvalidToken."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(_b64decode(header_b64))
    claims = json.loads(_b64decode(payload_b64))
    digest = ALGORITHMS[header["alg"]]
    if digest is None:
        return claims
    expected = hmac.new(secret, f"{header_b64}.{payload_b64}".encode("ascii"), digest).digest()
    if _b64encode(expected) != signature_b64:
        raise InvalidToken("bad signature")
    now = time.time() if now is None else now
    if claims["exp"] < now:
        raise InvalidToken("token expired")
    return claims
