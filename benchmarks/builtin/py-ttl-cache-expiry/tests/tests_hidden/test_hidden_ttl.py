from rates import RateService
from ttlcache import TTLCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_reads_do_not_extend():
    clock = Clock()
    c = TTLCache(10, clock)
    c.set("a", 1)
    for _ in range(4):
        clock.now += 3
        c.get("a")
    assert c.get("a", "gone") == "gone"
    assert "a" not in c


def test_expired_get_returns_default_and_len():
    clock = Clock()
    c = TTLCache(5, clock)
    c.set("a", 1)
    clock.now += 2
    c.set("b", 2)
    assert len(c) == 2
    clock.now += 4
    assert c.get("a", -1) == -1
    assert len(c) == 1 and c.get("b") == 2


def test_service_refetches_after_ttl():
    clock = Clock()
    values = iter([1.10, 1.20])
    calls = []
    svc = RateService(lambda cur: calls.append(cur) or next(values), ttl=60, clock=clock)
    assert svc.rate("EUR") == 1.10
    clock.now += 59
    assert svc.rate("EUR") == 1.10
    clock.now += 2
    assert svc.rate("EUR") == 1.20
    assert calls == ["EUR", "EUR"]
