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

    def _live(self, key):
        """The stored value, or _MISSING when absent or expired (expired entries are dropped)."""
        entry = self._data.get(key, _MISSING)
        if entry is _MISSING:
            return _MISSING
        value, stored_at = entry
        if self._clock() - stored_at >= self.ttl:
            del self._data[key]
            return _MISSING
        return value

    def get(self, key, default=None):
        value = self._live(key)
        return default if value is _MISSING else value

    def __contains__(self, key) -> bool:
        return self._live(key) is not _MISSING

    def __len__(self) -> int:
        return sum(1 for key in list(self._data) if self._live(key) is not _MISSING)
