"""In-process counters exported on the /metrics page."""


def _check_amount(amount: int) -> int:
    if amount < 0:
        raise ValueError("counters only go up")
    return amount


class Metrics:
    def __init__(self):
        self._counts = {}

    def incr(self, name: str, amount: int = 1) -> None:
        current = self._counts.get(name, 0)
        self._counts[name] = current + _check_amount(amount)

    def get(self, name: str) -> int:
        return self._counts.get(name, 0)

    def snapshot(self) -> dict:
        return {name: value for name, value in self._counts.items()}

    def reset(self) -> dict:
        """Return the counts and start again from zero."""
        counts = self.snapshot()
        self._counts = {}
        return counts
