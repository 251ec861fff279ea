"""A plain-text editor buffer with grouped undo."""
from __future__ import annotations

from history import History


class Document:
    def __init__(self, text: str = ""):
        self.text = text


class Insert:
    def __init__(self, pos: int, text: str):
        self.pos, self.text = pos, text

    def apply(self, doc: Document) -> None:
        doc.text = doc.text[:self.pos] + self.text + doc.text[self.pos:]

    def revert(self, doc: Document) -> None:
        doc.text = doc.text[:self.pos] + doc.text[self.pos + len(self.text):]

    def merge(self, other) -> bool:
        if isinstance(other, Insert):
            self.text += other.text
            return True
        return False


class Delete:
    def __init__(self, pos: int, length: int):
        self.pos, self.length = pos, length
        self.removed = ""

    def apply(self, doc: Document) -> None:
        self.removed = doc.text[self.pos:self.pos + self.length]
        doc.text = doc.text[:self.pos] + doc.text[self.pos + self.length:]

    def revert(self, doc: Document) -> None:
        doc.text = doc.text[:self.pos] + self.removed + doc.text[self.pos:]

    def merge(self, other) -> bool:
        return False


class Editor:
    def __init__(self, text: str = "", limit: int = 100):
        self.doc = Document(text)
        self.history = History(limit)
        self.cursor = len(text)

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo

    def type(self, chars: str) -> None:
        """Insert chars at the cursor, one keystroke at a time."""
        for ch in chars:
            self.history.do(Insert(self.cursor, ch), self.doc, merge=True)
            self.cursor += 1

    def move(self, pos: int) -> None:
        self.cursor = max(0, min(pos, len(self.doc.text)))

    def delete(self, pos: int, length: int) -> None:
        """Delete a selection (one undo step)."""
        self.history.do(Delete(pos, length), self.doc)
        self.cursor = pos

    def undo(self) -> bool:
        done = self.history.undo(self.doc)
        self.cursor = min(self.cursor, len(self.doc.text))
        return done

    def redo(self) -> bool:
        done = self.history.redo(self.doc)
        self.cursor = min(self.cursor, len(self.doc.text))
        return done
