import sys
import threading
import time

import pytest

import metrics
from metrics import Metrics


@pytest.fixture(autouse=True)
def fast_switching():
    """Make the interpreter switch threads very often, so races show up in a short test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


@pytest.fixture
def slow_check(monkeypatch):
    """Widen any window between reading and writing a count: validating an amount now yields the CPU."""
    real = getattr(metrics, "_check_amount", None)

    def slow(amount):
        time.sleep(0.0002)
        return real(amount) if real else amount

    monkeypatch.setattr(metrics, "_check_amount", slow, raising=False)


def run_threads(n, target):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_no_lost_increments_stress():
    m = Metrics()

    def work(i):
        for _ in range(3000):
            m.incr("requests")

    run_threads(4, work)
    assert m.get("requests") == 12000


def test_no_lost_increments(slow_check):
    m = Metrics()

    def work(i):
        for _ in range(100):
            m.incr("requests")
            m.incr(f"worker{i}")

    run_threads(8, work)
    assert m.get("requests") == 800
    assert all(m.get(f"worker{i}") == 100 for i in range(8))


def test_snapshot_while_adding_names():
    m = Metrics()
    for k in range(20000):
        m.incr(f"base{k}")
    errors = []
    done = threading.Event()

    def reader():
        while not done.is_set():
            try:
                m.snapshot()
            except RuntimeError as exc:
                errors.append(exc)
                return

    r = threading.Thread(target=reader)
    r.start()
    for k in range(20000):
        m.incr(f"new{k}")
        if errors:
            break
    done.set()
    r.join()
    assert errors == []
    assert len(m.snapshot()) == 40000


def test_reset_loses_nothing(slow_check):
    m = Metrics()
    collected = []
    stop = threading.Event()

    def resetter():
        while not stop.is_set():
            collected.append(m.reset().get("hits", 0))
            time.sleep(0.0001)

    r = threading.Thread(target=resetter)
    r.start()

    def work(i):
        for _ in range(100):
            m.incr("hits")

    run_threads(4, work)
    stop.set()
    r.join()
    assert sum(collected) + m.get("hits") == 400
