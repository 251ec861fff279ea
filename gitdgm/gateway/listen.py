"""Accepting connections on every run's socket with one thread, so that opening and closing a run is cheap.

Each run has its own listening socket (see server.py). One selector thread accepts on all of them and
hands each connection to the callback its socket was added with; adding and removing a socket takes
microseconds and wakes no other thread but this one.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

OnConnection = Callable[[socket.socket], None]


class Listeners:
    """Listening sockets served by one thread; ``add`` and ``remove`` may be called from any thread."""

    def __init__(self, name: str) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_in, self._wake_out = socket.socketpair()
        for end in (self._wake_in, self._wake_out):
            end.setblocking(False)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        self._lock = threading.Lock()  # held while registering and while handing connections over
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def add(self, listener: socket.socket, on_connection: OnConnection) -> None:
        """Accept on ``listener`` from now on; ``on_connection`` runs in the accepting thread and must not block."""
        listener.setblocking(False)
        with self._lock:
            self._selector.register(listener, selectors.EVENT_READ, on_connection)
        self._wake()  # selectors other than epoll see a new socket only on their next select()

    def remove(self, listener: socket.socket) -> None:
        """Stop accepting on ``listener``; once this returns no connection of it is handed over any more."""
        with self._lock:
            self._selector.unregister(listener)

    def close(self) -> None:
        with self._lock:
            self._stopping = True
        self._wake()
        self._thread.join()
        self._selector.close()
        self._wake_in.close()
        self._wake_out.close()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds a wake-up
            self._wake_out.send(b"\0")

    def _loop(self) -> None:
        while True:
            events = self._selector.select()
            with self._lock:
                if self._stopping:
                    return
                for key, _ in events:
                    if key.fileobj is self._wake_in:
                        with contextlib.suppress(BlockingIOError):
                            self._wake_in.recv(4096)
                    elif self._selector.get_map().get(key.fd) is key:  # not removed since select() returned
                        _accept_all(key.fileobj, key.data)  # type: ignore[arg-type]


def _accept_all(listener: socket.socket, on_connection: OnConnection) -> None:
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # out of file descriptors, say: the connection waits in the backlog
            log.warning("gitdgm gateway: cannot accept a connection (%s)", exc)
            time.sleep(0.05)  # the socket stays readable: do not spin
            return
        connection.setblocking(True)
        on_connection(connection)
