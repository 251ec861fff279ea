"""A small time-to-live cache with an injectable clock."""
import time

_MISSING = object()


class TTLCache:
    def __init__(self, ttl: float, clock=time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._data = {}  # key -> (value, stored_at)

    def set(self, key, value) -> None:
        self._data[key] = (value, self._clock())

    def get(self, key, default=None):
        entry = self._data.get(key, _MISSING)
        if entry is _MISSING:
            return default
        value, stored_at = entry
        if self._clock() - stored_at > self.ttl:
            return None
        self._data[key] = (value, self._clock())
        return value

    def __contains__(self, key) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)
