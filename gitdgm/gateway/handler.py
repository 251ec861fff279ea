"""The HTTP side of one connection to a run's socket: refuse oversized bodies unread, answer, scrub every byte.

Only gitdgm's own headers go out (a content type from an allow-list, never the upstream's other headers), and every
body, streamed or not, passes through the gateway's scrubber first (scrub.py). While a request waits for the
upstream, its connection is watched: a client that hangs up (an agent killed or timed out, a closed run) has its
call cancelled upstream rather than left generating for no one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import select
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, NamedTuple

from gitdgm.gateway.upstream import Call, Reply, error_body

if TYPE_CHECKING:
    from gitdgm.gateway.server import Gateway, Run

log = logging.getLogger(__name__)

_CONTENT_TYPES = re.compile(r"(application/json|text/event-stream|text/plain)(; ?charset=[\w-]+)?", re.IGNORECASE)


class Connection(NamedTuple):
    """What a connection's handler serves: the gateway, and the run whose socket it came in on."""

    gateway: Gateway
    run: Run


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: agents reuse one connection for all their calls
    server_version = "gitdgm-gateway"
    timeout = 900  # drop connections idle this long
    server: Connection  # type: ignore[assignment]  # what this handler serves, in place of a socketserver

    def __init__(self, request: socket.socket, client_address: Any, server: Connection) -> None:
        super().__init__(request, client_address, server)  # type: ignore[arg-type]  # see ``server`` above

    def _serve(self) -> None:
        gateway, run = self.server
        refusal = self._refuse_body(gateway.max_request_bytes)
        if refusal is not None:
            self.close_connection = True  # the body, if any, is never read
            self._send(refusal)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        call = Call(run.limits.timeout)
        try:
            with watching(self.connection, call.cancel):
                reply = gateway.handle(run, self.command, self.path, self.headers.get("Authorization", ""), body, call)
        except Exception as exc:  # a bug here must still answer, or the client would retry blindly
            log.exception("gitdgm gateway: internal error")
            reply = Reply(
                500, error_body(f"gitdgm gateway: internal error ({type(exc).__name__}: {exc})", "server_error")
            )
        self._send(reply)

    do_GET = do_POST = _serve

    def _refuse_body(self, limit: int) -> Reply | None:
        """Refuse a body that is too big, or whose size is not said up front, before reading any of it."""
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") is not None or (not lengths and self.command == "POST"):
            message = "gitdgm gateway: a request body needs a Content-Length (chunked bodies are refused)"
            return Reply(411, error_body(message, "invalid_request_error"))
        if not lengths:
            return None
        if len(lengths) > 1 or not re.fullmatch(r"[0-9]{1,18}", lengths[0].strip()):
            return Reply(400, error_body("gitdgm gateway: bad Content-Length", "invalid_request_error"))
        if int(lengths[0]) > limit:
            message = f"gitdgm gateway: request body of {int(lengths[0])} bytes is over the limit of {limit} bytes"
            return Reply(413, error_body(message, "invalid_request_error", "request_too_large"))
        return None

    def _send(self, reply: Reply) -> None:
        """Send a reply with only gitdgm's own headers, every byte of its body scrubbed of secrets."""
        scrub = self.server.gateway.scrubber.scrub
        try:
            self.send_response(reply.status)
            content_type = reply.content_type if _CONTENT_TYPES.fullmatch(reply.content_type or "") else None
            self.send_header("Content-Type", content_type or "application/json")
            body = scrub(reply.body)
            if reply.stream is not None:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            if reply.status >= 400:
                # The gateway has already retried what was worth retrying.
                self.send_header("x-should-retry", "false")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if reply.stream is None:
                self.wfile.write(body)
                return
            for data in reply.stream:
                data = scrub(data)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            reply.stream.close()  # settled before the agent sees the end, so that close_run counts the call
            self.wfile.write(b"0\r\n\r\n")
        finally:
            if reply.stream is not None:  # settles a stream also when the agent hung up before it was read
                reply.stream.close()

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature: `format` shadows the builtin
        log.debug("gitdgm gateway: " + format, *args)


@contextlib.contextmanager
def watching(connection: socket.socket, on_hangup: Callable[[], None]) -> Iterator[None]:
    """For the duration of the block, call ``on_hangup`` as soon as the client closes its end of ``connection``."""
    done = threading.Event()

    def watch() -> None:
        poller = select.poll()
        poller.register(connection, select.POLLIN | select.POLLRDHUP)
        while not done.is_set():
            if not poller.poll(100):
                continue
            if peer_closed(connection) and not done.is_set():
                on_hangup()
            return  # hung up, or the client sends something: either way nothing more to watch

    watcher = threading.Thread(target=watch, name="gitdgm-gateway-hangup", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


def peer_closed(connection: socket.socket) -> bool:
    """Whether a socket that polls readable was closed by its peer (nothing to read) rather than sent more."""
    try:
        return not connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
