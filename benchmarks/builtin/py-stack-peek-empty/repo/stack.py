"""A stack with a fixed capacity."""


class StackEmpty(Exception):
    """Raised when reading from an empty stack."""


class StackFull(Exception):
    """Raised when pushing onto a full stack."""


class BoundedStack:
    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items = []

    def push(self, item) -> None:
        self._items.append(item)

    def pop(self):
        return self._items.pop()

    def peek(self):
        return self._items[-1]

    def is_full(self) -> bool:
        return len(self._items) >= self.capacity

    def __len__(self) -> int:
        return len(self._items)
