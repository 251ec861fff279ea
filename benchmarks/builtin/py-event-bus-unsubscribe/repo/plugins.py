"""Plugin host: plugins subscribe to the host's lifecycle events."""
from events import EventBus


class Host:
    def __init__(self):
        self.bus = EventBus()
        self.log = []

    def load(self, plugin) -> None:
        plugin.register(self)

    def start(self) -> None:
        self.bus.emit("ready", self)
