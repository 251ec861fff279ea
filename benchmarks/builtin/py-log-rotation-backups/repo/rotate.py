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
        self._size = 0

    def backup_path(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def write(self, line: str) -> None:
        """Append one line (a newline is added)."""
        data = (line + "\n").encode("utf-8")
        with open(self.path, "ab") as f:
            f.write(data)
        self._size += len(data)
        if self._size > self.max_bytes:
            self.rotate()

    def rotate(self) -> None:
        """Shift the backups up by one and start a new, empty current file."""
        for n in range(1, self.backups):
            src = self.backup_path(n)
            if src.exists():
                src.replace(self.backup_path(n + 1))
        if self.path.exists():
            self.path.replace(self.backup_path(1))
        self._size = 0

    def files(self) -> list[Path]:
        """The log's files that exist, oldest first."""
        backups = [self.backup_path(n) for n in range(1, self.backups + 1)]
        return [p for p in backups + [self.path] if p.exists()]

    def read_lines(self) -> list[str]:
        """Every line of the log, oldest first."""
        lines: list[str] = []
        for p in self.files():
            lines.extend(p.read_text(encoding="utf-8").splitlines())
        return lines
