from events import EventBus
from plugins import Host


def test_once_does_not_skip_next():
    bus, seen = EventBus(), []
    bus.once("ready", lambda: seen.append("once"))
    bus.on("ready", lambda: seen.append("second"))
    bus.on("ready", lambda: seen.append("third"))
    assert bus.emit("ready") == 3
    assert seen == ["once", "second", "third"]
    seen.clear()
    assert bus.emit("ready") == 2 and seen == ["second", "third"]


def test_self_off_during_emit():
    bus, seen = EventBus(), []

    def a():
        seen.append("a")
        bus.off("e", a)

    bus.on("e", a)
    bus.on("e", lambda: seen.append("b"))
    bus.emit("e")
    assert seen == ["a", "b"]


def test_removed_by_earlier_handler_is_skipped():
    bus, seen = EventBus(), []
    c = lambda: seen.append("c")  # noqa: E731
    bus.on("e", lambda: bus.off("e", c))
    bus.on("e", c)
    assert bus.emit("e") == 1 and seen == []


def test_added_during_emit_runs_next_time():
    bus, seen = EventBus(), []
    bus.on("e", lambda: bus.on("e", lambda: seen.append("late")))
    bus.emit("e")
    assert seen == []
    bus.emit("e")
    assert seen == ["late"]


def test_once_reentrant_and_off_unknown():
    bus, seen = EventBus(), []

    def h():
        seen.append("h")
        bus.emit("e")

    bus.once("e", h)
    bus.emit("e")
    assert seen == ["h"]
    bus.off("e", h)
    bus.off("nothing", print)


def test_plugins():
    class Greeter:
        def register(self, host):
            host.bus.once("ready", lambda h: h.log.append("greeter"))

    class Audit:
        def register(self, host):
            host.bus.on("ready", lambda h: h.log.append("audit"))

    host = Host()
    host.load(Greeter())
    host.load(Audit())
    host.start()
    host.start()
    assert host.log == ["greeter", "audit", "audit"]
