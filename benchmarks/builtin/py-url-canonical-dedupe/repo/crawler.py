"""The crawl frontier: URLs still to fetch, each page once."""
from __future__ import annotations

from collections import deque

from urlnorm import canonicalize


class Frontier:
    def __init__(self, seeds=()):
        self._seen: set[str] = set()
        self._queue: deque[str] = deque()
        for url in seeds:
            self.add(url)

    def add(self, url: str) -> bool:
        """Queue url unless a URL with the same canonical form was seen; return whether it was new."""
        key = canonicalize(url)
        if key in self._seen:
            return False
        self._seen.add(key)
        self._queue.append(key)
        return True

    def add_links(self, page_url: str, hrefs) -> list[str]:
        """Queue the links found on page_url; return the canonical URLs that were new, in order."""
        new = []
        for href in hrefs:
            if not href.startswith(("http://", "https://")):
                continue
            if self.add(href):
                new.append(canonicalize(href))
        return new

    def next(self) -> str | None:
        return self._queue.popleft() if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)
