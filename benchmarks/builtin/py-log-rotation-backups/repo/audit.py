"""The audit log: one line per event, kept in a few size-limited files."""
from __future__ import annotations

from datetime import datetime, timezone

from rotate import RotatingWriter


class AuditLog:
    def __init__(self, path, max_bytes: int = 1_000_000, backups: int = 3, clock=None):
        self._writer = RotatingWriter(path, max_bytes=max_bytes, backups=backups)
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def record(self, user: str, action: str) -> None:
        self._writer.write(f"{self._clock():%Y-%m-%dT%H:%M:%SZ} {user} {action}")

    def history(self, user: str | None = None) -> list[str]:
        """Events oldest first, optionally only one user's."""
        lines = self._writer.read_lines()
        return [line for line in lines if user is None or line.split(" ")[1] == user]
