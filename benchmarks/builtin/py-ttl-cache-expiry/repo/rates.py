"""Exchange rates with caching in front of a slow fetcher."""
from ttlcache import TTLCache


class RateService:
    def __init__(self, fetch, ttl: float = 60, clock=None):
        self._fetch = fetch
        self._cache = TTLCache(ttl, clock) if clock else TTLCache(ttl)

    def rate(self, currency: str) -> float:
        if currency in self._cache:
            return self._cache.get(currency)
        value = self._fetch(currency)
        self._cache.set(currency, value)
        return value
