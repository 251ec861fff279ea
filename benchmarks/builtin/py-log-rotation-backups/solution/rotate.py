"""A log file that rotates by size: app.log (newest), app.log.1, ..., app.log.N (oldest)."""
from __future__ import annotations

from pathlib import Path


class RotatingWriter:
    def __init__(self, path: str | Path, max_bytes: int, backups: int = 3):
        if max_bytes < 1 or backups < 0:
            raise ValueError("max_bytes must be positive and backups not negative")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        # A writer may take over a file an earlier run left behind.
        self._size = self.path.stat().st_size if self.path.exists() else 0

    def backup_path(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def write(self, line: str) -> None:
        """Append one line (a newline is added), rotating first if it would not fit in the current file."""
        data = (line + "\n").encode("utf-8")
        if self._size > 0 and self._size + len(data) > self.max_bytes:
            self.rotate()
        with open(self.path, "ab") as f:
            f.write(data)
        self._size += len(data)

    def rotate(self) -> None:
        """Shift the backups up by one and start a new, empty current file."""
        if self.backups == 0:
            self.path.write_bytes(b"")
            self._size = 0
            return
        # Oldest first, so that no backup is overwritten before it has moved; the last one falls off.
        self.backup_path(self.backups).unlink(missing_ok=True)
        for n in range(self.backups - 1, 0, -1):
            src = self.backup_path(n)
            if src.exists():
                src.replace(self.backup_path(n + 1))
        if self.path.exists():
            self.path.replace(self.backup_path(1))
        self._size = 0

    def files(self) -> list[Path]:
        """The log's files that exist, oldest first."""
        backups = [self.backup_path(n) for n in range(self.backups, 0, -1)]
        return [p for p in backups + [self.path] if p.exists()]

    def read_lines(self) -> list[str]:
        """Every line of the log, oldest first."""
        lines: list[str] = []
        for p in self.files():
            lines.extend(p.read_text(encoding="utf-8").splitlines())
        return lines
