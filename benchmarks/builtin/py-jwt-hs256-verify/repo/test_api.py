from api import authenticate
from tokens import sign

SECRET = b"s3cret"


def test_valid_token():
    token = sign({"sub": "ann", "exp": 2_000_000_000}, SECRET)
    assert authenticate({"Authorization": f"Bearer {token}"}, SECRET, now=1_700_000_000) == (
        200, {"sub": "ann", "exp": 2_000_000_000})


def test_missing_header():
    assert authenticate({}, SECRET)[0] == 401
