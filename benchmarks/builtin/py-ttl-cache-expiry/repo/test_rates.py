from rates import RateService


def test_cached_within_ttl():
    calls = []
    now = [0.0]
    svc = RateService(lambda c: calls.append(c) or 1.5, ttl=60, clock=lambda: now[0])
    assert svc.rate("EUR") == 1.5
    now[0] = 30
    assert svc.rate("EUR") == 1.5
    assert calls == ["EUR"]
