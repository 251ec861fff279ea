import pytest

from client import InventoryClient
from retry import retry


def test_attempts_and_sleeps():
    calls, sleeps = [], []

    @retry(attempts=3, retry_on=(ConnectionError,), base_delay=1, sleep=sleeps.append)
    def flaky():
        calls.append(1)
        raise ConnectionError(f"down #{len(calls)}")

    with pytest.raises(ConnectionError, match="down #3"):
        flaky()
    assert len(calls) == 3
    assert sleeps == [1, 2]


def test_delay_capped():
    sleeps = []

    @retry(attempts=6, retry_on=(OSError,), base_delay=1, max_delay=5, sleep=sleeps.append)
    def f():
        raise OSError("x")

    with pytest.raises(OSError):
        f()
    assert sleeps == [1, 2, 4, 5, 5]


def test_other_errors_not_retried():
    calls, sleeps = [], []

    @retry(attempts=5, retry_on=(ConnectionError,), sleep=sleeps.append)
    def f():
        calls.append(1)
        raise ValueError("bad")

    with pytest.raises(ValueError):
        f()
    assert calls == [1] and sleeps == []


def test_single_attempt():
    sleeps = []

    @retry(attempts=1, sleep=sleeps.append)
    def f():
        raise RuntimeError("once")

    with pytest.raises(RuntimeError):
        f()
    assert sleeps == []


def test_client_recovers_and_reports_bad_reply():
    replies = iter([ConnectionError("reset"), "12"])

    def transport(req):
        r = next(replies)
        if isinstance(r, Exception):
            raise r
        return r

    sleeps = []
    assert InventoryClient(transport, sleep=sleeps.append).stock("B2") == 12
    assert len(sleeps) == 1
    bad = InventoryClient(lambda req: "oops", sleep=sleeps.append)
    with pytest.raises(ValueError):
        bad.stock("C3")
    assert len(sleeps) == 1
