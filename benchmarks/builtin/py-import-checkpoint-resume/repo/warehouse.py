"""The warehouse side of the import (an in-memory stand-in for the real client)."""
from __future__ import annotations


class MemorySink:
    """Commits each batch as a whole, like one warehouse transaction."""

    def __init__(self):
        self.rows: list[dict] = []
        self.batches = 0

    def write_batch(self, records: list[dict]) -> None:
        self.rows.extend(records)
        self.batches += 1
