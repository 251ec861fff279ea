"""Undo history for the editor, built on BoundedStack."""
from stack import BoundedStack, StackEmpty


class History:
    def __init__(self, limit: int = 50):
        self._stack = BoundedStack(limit)

    def record(self, text: str) -> None:
        if self._stack.is_full():
            return
        self._stack.push(text)

    def undo(self):
        """Return the previous text, or None when there is nothing to undo."""
        try:
            return self._stack.pop()
        except StackEmpty:
            return None
