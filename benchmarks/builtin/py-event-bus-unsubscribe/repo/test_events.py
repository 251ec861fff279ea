from events import EventBus


def test_on_emit():
    bus, seen = EventBus(), []
    bus.on("x", seen.append)
    assert bus.emit("x", 1) == 1 and seen == [1]
