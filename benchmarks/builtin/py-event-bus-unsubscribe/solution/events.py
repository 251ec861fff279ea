"""A small synchronous event bus."""
from collections import defaultdict


class EventBus:
    def __init__(self):
        self._handlers = defaultdict(list)

    def on(self, event: str, handler) -> None:
        self._handlers[event].append(handler)

    def off(self, event: str, handler) -> None:
        handlers = self._handlers[event]
        if handler in handlers:
            handlers.remove(handler)

    def once(self, event: str, handler) -> None:
        def wrapper(*args, **kwargs):
            self.off(event, wrapper)
            return handler(*args, **kwargs)
        self.on(event, wrapper)

    def emit(self, event: str, *args, **kwargs) -> int:
        """Call the handlers subscribed when the emit starts, in order; return how many ran.

        Iterates over a snapshot so handlers may subscribe or unsubscribe while it runs; one removed by an
        earlier handler of the same emit is skipped.
        """
        count = 0
        for handler in list(self._handlers[event]):
            if handler not in self._handlers[event]:
                continue
            handler(*args, **kwargs)
            count += 1
        return count
