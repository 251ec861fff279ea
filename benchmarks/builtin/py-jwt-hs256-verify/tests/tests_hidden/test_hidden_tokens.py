import base64
import hashlib
import hmac
import json

import pytest

from api import authenticate
from tokens import InvalidToken, sign, verify

SECRET = b"s3cret"
NOW = 1_700_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make(header, claims, secret=SECRET, digest=hashlib.sha256, raw_header=None, raw_claims=None):
    """A token built by hand, independently of tokens.sign."""
    h = b64(raw_header if raw_header is not None else json.dumps(header).encode())
    p = b64(raw_claims if raw_claims is not None else json.dumps(claims).encode())
    sig = b64(hmac.new(secret, f"{h}.{p}".encode(), digest).digest()) if digest else ""
    return f"{h}.{p}.{sig}"


@pytest.mark.parametrize("name", ["a" * n for n in range(1, 13)] + ["anna", "alice", "Zoë", "李"])
def test_round_trip_any_length(name):
    claims = {"sub": name, "exp": NOW + 60}
    assert verify(sign(claims, SECRET), SECRET, now=NOW) == claims


@pytest.mark.parametrize("extra", ["", "x", "xy", "xyz"])
def test_tokens_from_other_libraries(extra):
    claims = {"sub": "bob" + extra, "admin": False, "exp": NOW + 5}
    token = make({"typ": "JWT", "alg": "HS256"}, claims)
    assert verify(token, SECRET, now=NOW) == claims


def test_alg_none_rejected():
    forged = make({"alg": "none", "typ": "JWT"}, {"sub": "root", "admin": True}, digest=None)
    assert forged.endswith(".")
    with pytest.raises(InvalidToken):
        verify(forged, SECRET, now=NOW)
    with pytest.raises(InvalidToken):
        verify(make({"alg": "None"}, {"sub": "root"}, digest=None), SECRET, now=NOW)


@pytest.mark.parametrize(("alg", "digest"), [("HS512", hashlib.sha512), ("HS384", hashlib.sha384),
                                             ("hs256", hashlib.sha256), (None, hashlib.sha256)])
def test_other_algorithms_rejected(alg, digest):
    header = {"typ": "JWT"} if alg is None else {"alg": alg}
    with pytest.raises(InvalidToken):
        verify(make(header, {"sub": "ann"}, digest=digest), SECRET, now=NOW)


def test_forgeries_rejected():
    good = sign({"sub": "ann", "admin": False}, SECRET)
    h, p, s = good.split(".")
    tampered = b64(json.dumps({"sub": "ann", "admin": True}).encode())
    for token in [f"{h}.{tampered}.{s}", make({"alg": "HS256"}, {"sub": "ann"}, secret=b"guess"),
                  f"{h}.{p}.{s[:-2]}", f"{h}.{p}.", f"{h}.{p}.{s}A"]:
        with pytest.raises(InvalidToken):
            verify(token, SECRET, now=NOW)


@pytest.mark.parametrize("token", [
    "", "abc", "a.b", "a.b.c.d", "!!!.???.###", "....",
    make(None, None, raw_header=b"not json", raw_claims=b"{}"),
    make({"alg": "HS256"}, None, raw_claims=b"[1, 2]"),
    make({"alg": "HS256"}, None, raw_claims=b"\xff\xfe"),
    make(["HS256"], {"sub": "x"}),
])
def test_malformed_tokens_raise_invalid_token(token):
    with pytest.raises(InvalidToken):
        verify(token, SECRET, now=NOW)


def test_expiry_and_leeway():
    token = sign({"sub": "ann", "exp": NOW}, SECRET)
    assert verify(token, SECRET, now=NOW - 1)["sub"] == "ann"
    with pytest.raises(InvalidToken):
        verify(token, SECRET, now=NOW)
    assert verify(token, SECRET, now=NOW + 29, leeway=30)["sub"] == "ann"
    with pytest.raises(InvalidToken):
        verify(token, SECRET, now=NOW + 30, leeway=30)


def test_not_before():
    token = sign({"sub": "ann", "nbf": NOW}, SECRET)
    assert verify(token, SECRET, now=NOW)["sub"] == "ann"
    with pytest.raises(InvalidToken):
        verify(token, SECRET, now=NOW - 1)
    assert verify(token, SECRET, now=NOW - 10, leeway=10)["sub"] == "ann"
    with pytest.raises(InvalidToken):
        verify(token, SECRET, now=NOW - 11, leeway=10)


def test_no_exp_is_fine_and_bad_types_are_not():
    assert verify(sign({"sub": "svc"}, SECRET), SECRET, now=NOW) == {"sub": "svc"}
    for claims in [{"exp": "2000000000"}, {"nbf": "0"}, {"exp": None}, {"exp": [1]}]:
        with pytest.raises(InvalidToken):
            verify(sign(claims, SECRET), SECRET, now=NOW)
    assert verify(sign({"exp": NOW + 0.5}, SECRET), SECRET, now=NOW) == {"exp": NOW + 0.5}


def test_authenticate():
    token = sign({"sub": "alice", "exp": NOW + 100}, SECRET)
    assert authenticate({"authorization": f"bearer {token}"}, SECRET, now=NOW) == (
        200, {"sub": "alice", "exp": NOW + 100})
    assert authenticate({"AUTHORIZATION": f"BEARER {token}"}, SECRET, now=NOW)[0] == 200
    assert authenticate({"Authorization": f"Bearer {token}"}, SECRET, now=NOW + 129)[0] == 200
    assert authenticate({"Authorization": f"Bearer {token}"}, SECRET, now=NOW + 130)[0] == 401
    for value in ["Bearer abc", "Bearer a.b", "Bearer ", "Basic dXNlcjpwdw==", "Bearer a.b.c",
                  f"Bearer {make({'alg': 'none'}, {'sub': 'root'}, digest=None)}"]:
        status, reason = authenticate({"Authorization": value}, SECRET, now=NOW)
        assert status == 401 and isinstance(reason, str), value
