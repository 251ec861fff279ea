from exporter import render
from metrics import Metrics


def test_single_thread():
    m = Metrics()
    m.incr("requests")
    m.incr("requests", 2)
    assert m.get("requests") == 3
    assert render(m) == "app_requests 3\n"
