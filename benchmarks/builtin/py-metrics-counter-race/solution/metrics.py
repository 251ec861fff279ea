"""In-process counters exported on the /metrics page; safe to share between threads."""
import threading


def _check_amount(amount: int) -> int:
    if amount < 0:
        raise ValueError("counters only go up")
    return amount


class Metrics:
    """All reads and writes of the counts go through one lock, so no update is lost."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {}

    def incr(self, name: str, amount: int = 1) -> None:
        amount = _check_amount(amount)
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + amount

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> dict:
        """Return the counts and start again from zero, atomically."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts
