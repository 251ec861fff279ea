"""A small synchronous event bus."""
from collections import defaultdict


class EventBus:
    def __init__(self):
        self._handlers = defaultdict(list)

    def on(self, event: str, handler) -> None:
        self._handlers[event].append(handler)

    def off(self, event: str, handler) -> None:
        self._handlers[event].remove(handler)

    def once(self, event: str, handler) -> None:
        def wrapper(*args, **kwargs):
            self.off(event, wrapper)
            return handler(*args, **kwargs)
        self.on(event, wrapper)

    def emit(self, event: str, *args, **kwargs) -> int:
        """Call the event's handlers in order; return how many ran."""
        count = 0
        for handler in self._handlers[event]:
            handler(*args, **kwargs)
            count += 1
        return count
