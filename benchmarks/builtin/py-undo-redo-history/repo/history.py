"""Undo/redo history of reversible commands."""
from __future__ import annotations

from typing import Protocol


class Command(Protocol):
    def apply(self, doc) -> None: ...

    def revert(self, doc) -> None: ...

    def merge(self, other: "Command") -> bool:
        """Absorb `other` (already applied) into this step; return whether it was absorbed."""


class History:
    """Commands that were applied, to revert them (undo) and apply them again (redo)."""

    def __init__(self, limit: int = 100):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._undo: list[Command] = []
        self._redo: list[Command] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def do(self, command: Command, doc, *, merge: bool = False) -> None:
        """Apply command; with merge, try to fold it into the previous step (typing)."""
        command.apply(doc)
        if merge and self._undo and self._undo[-1].merge(command):
            return
        self._undo.append(command)
        if len(self._undo) > self.limit:
            self._undo.pop()

    def undo(self, doc) -> bool:
        if not self._undo:
            return False
        command = self._undo.pop()
        command.revert(doc)
        self._redo.append(command)
        return True

    def redo(self, doc) -> bool:
        if not self._redo:
            return False
        command = self._redo.pop()
        command.apply(doc)
        self._undo.append(command)
        return True
