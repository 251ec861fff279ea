"""The one place gitdgm speaks HTTP to the FM: forwarding with the real key, the one retry policy, and slots.

Transient failures (connection errors, timeouts, 408/429/5xx) are retried here and nowhere else (the gateway tells
clients not to retry, and neither the seed agent nor the diagnosis does), with exponential backoff honouring
``Retry-After`` up to a cap, all within the call's own time limit, so that retries never stack into hours. A call
holds one of the upstream's slots (``concurrency``) while it runs, so a single-slot server is never sent a queue of
requests it would go on working through after their clients gave up. A call that times out or is abandoned has its
connection closed, which is how an HTTP server learns to stop generating: each call opens its own connection
(``Call`` keeps its socket), as keeping connections alive would leave nothing to close.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from gitdgm.config import CONFIG_FILE, ModelConfig
from gitdgm.errors import ConfigError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CANCELLED = 499  # the client went away before the answer (nginx's code); the call was cancelled upstream


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all (``model.retries`` + 1); waits ``backoff``, then doubles, never more than
    ``max_wait``; never past the call's deadline."""

    attempts: int = 4
    backoff: float = 0.5
    max_wait: float = 20.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        wanted = retry_after if retry_after is not None else self.backoff * 2**attempt
        return max(0.0, min(wanted, self.max_wait))


class Stream(Protocol):
    """A streamed body: iterated as it comes, and closed once done with, read to the end or not."""

    @property
    def broken(self) -> str: ...  # why it ended before its end ("" when it did not)

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    stream: Stream | None = None  # a streamed 200's body, relayed as it comes; replaces ``body``


def error_object(message: str, type_: str, code: str | None = None) -> dict[str, object]:
    """The error object OpenAI-compatible clients know how to read."""
    return {"error": {"message": message, "type": type_, "code": code, "param": None}}


def error_body(message: str, type_: str, code: str | None = None) -> bytes:
    return json.dumps(error_object(message, type_, code)).encode()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date), or None."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


class Call:
    """One request's life upstream: its deadline, and the way to cancel it by closing its connection.

    ``trace`` is given to httpx as the request's trace hook: it keeps the socket of each connection the call opens,
    so that ``cancel``, from any thread, can shut it down; the server sees the connection close.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.cancelled = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """The clock starts when the call gets a slot: waiting for one is not the upstream's slowness."""
        self.deadline = time.monotonic() + self.timeout

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._sockets.append(sock)
            cancelled = self.cancelled
        if cancelled:
            _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


class Slots:
    """At most ``size`` calls upstream at once (0: no limit); a waiting call gives up when it is cancelled."""

    def __init__(self, size: int) -> None:
        self._free = threading.BoundedSemaphore(size) if size else None

    def take(self, call: Call) -> bool:
        while self._free is not None and not self._free.acquire(timeout=0.1):
            if call.cancelled:
                return False
        return not call.cancelled

    def give(self) -> None:
        if self._free is not None:
            self._free.release()


class Upstream:
    """An OpenAI-compatible base URL (OpenAI, vLLM, Ollama, llama.cpp...) and the key for it."""

    def __init__(
        self, base_url: str, api_key: str | None, retry: RetryPolicy, timeout: float, concurrency: int = 0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=0),  # see the module's docstring
        )
        self._retry = retry
        self._slots = Slots(concurrency)

    def send(
        self, method: str, path: str, body: bytes | None = None, stream: bool = False, call: Call | None = None
    ) -> Reply:
        """Forward one request; retry what is transient; never raise for the upstream's failures.

        ``call`` (made with the default timeout when not given) bounds the request, retries included, and cancels
        it. With ``stream``, a 200's body is left open as ``Reply.stream`` (lines, read as they come) holding the
        slot until closed; retries happen only before the first byte, as a stream cannot be resumed.
        """
        call = call or Call(self.timeout)
        if not self._slots.take(call):
            return _cancelled(path)
        call.start()
        reply = None
        try:
            reply = self._attempts(method, path, body, stream, call)
            return reply
        finally:
            if reply is None or reply.stream is None:
                self._slots.give()

    def _attempts(self, method: str, path: str, body: bytes | None, stream: bool, call: Call) -> Reply:
        problem = "no attempt: the call's time was up"
        headers = {"Content-Type": "application/json"} if body else None
        for attempt in range(self._retry.attempts):
            left = call.left()
            if left <= 0:
                problem = f"timed out after {call.timeout:g} s ({problem})"
                break
            request = self._client.build_request(
                method,
                path,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(left, connect=min(left, 10.0)),
                extensions={"trace": call.trace},
            )
            try:
                response = self._client.send(request, stream=stream)
                if stream and response.status_code == 200:
                    return Reply(
                        200, b"", response.headers.get("content-type", ""), _Lines(response, call, self._slots.give)
                    )
                response.read()
                response.close()
            except httpx.HTTPError as exc:
                if call.cancelled:
                    return _cancelled(path)
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.info("gitdgm gateway: upstream %s failed (%s), attempt %d", path, problem, attempt + 1)
                self._pause(call, self._retry.wait(attempt, None), attempt)
                continue
            if response.status_code == 401:
                return self._key_refused()
            reply = Reply(response.status_code, response.content, response.headers.get("content-type", ""))
            if response.status_code not in RETRY_STATUSES or attempt + 1 == self._retry.attempts:
                return reply
            wait = self._retry.wait(attempt, retry_after_seconds(response.headers.get("retry-after")))
            if wait >= call.left():
                return reply
            log.info("gitdgm gateway: upstream %s answered %d, attempt %d", path, response.status_code, attempt + 1)
            self._pause(call, wait, attempt)
        tries = f"{attempt + 1} attempt" + ("s" if attempt else "")
        message = f"gitdgm gateway: upstream {self.base_url} unreachable after {tries} ({problem})"
        log.warning("%s", message)
        return Reply(502, error_body(message, "upstream_unreachable", "upstream_unreachable"))

    def _pause(self, call: Call, wait: float, attempt: int) -> None:
        if attempt + 1 < self._retry.attempts:
            time.sleep(max(0.0, min(wait, call.left())))

    def _key_refused(self) -> Reply:
        """A 401 is about gitdgm's key, not the agent: say so, and drop the body (it may quote part of the key)."""
        message = f"gitdgm gateway: upstream {self.base_url} refused gitdgm's API key (HTTP 401); check the key"
        log.warning("%s", message)
        return Reply(401, error_body(message, "upstream_auth", "upstream_auth"))

    def close(self) -> None:
        self._client.close()


class _Lines:
    """A streamed reply's lines as they come, until the call's deadline; ``close`` releases the connection (the
    server sees it close if the stream was not read to the end) and the call's slot."""

    def __init__(self, response: httpx.Response, call: Call, release: Any) -> None:
        self._response = response
        self._lines = response.iter_lines()
        self._call = call
        self._release = release
        self.broken = ""  # why the stream ended before its end, if it did

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> bytes:
        if self._call.left() <= 0:
            self.broken = f"timed out after {self._call.timeout:g} s"
            raise StopIteration
        try:
            return next(self._lines).encode()
        except httpx.HTTPError as exc:
            self.broken = f"{type(exc).__name__}: {exc}"
            log.warning("gitdgm gateway: upstream stream broke off (%s)", self.broken)
            raise StopIteration from None

    def close(self) -> None:
        release, self._release = self._release, None
        self._response.close()
        if release is not None:
            release()


def _cancelled(path: str) -> Reply:
    return Reply(CANCELLED, error_body(f"gitdgm gateway: the client went away; {path} was cancelled", "cancelled"))


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


SCRIPTED = "scripted:"


@contextlib.contextmanager
def configured_upstream(model: ModelConfig, root: Path) -> Iterator[tuple[str, str | None]]:
    """The base URL and key ``[model]`` names for the duration: a ``scripted:PATH`` model (relative to ``root``) is
    served on 127.0.0.1 meanwhile; a real one needs a base URL or a key (OpenAI)."""
    if model.base_url.startswith(SCRIPTED):
        from gitdgm.gateway.fake import FakeUpstream  # the fake relays this module's error objects

        script = Path(model.base_url[len(SCRIPTED) :])
        with FakeUpstream(script if script.is_absolute() else root / script) as fake:
            yield fake.base_url, None
        return
    key = os.environ.get(model.api_key_env)
    if not model.base_url and not key:
        raise ConfigError(
            f"no model: set {model.api_key_env} for OpenAI, or model.base_url in {CONFIG_FILE} "
            "for an OpenAI-compatible server (or try `gitdgm demo`, which needs neither)"
        )
    yield model.base_url or "https://api.openai.com/v1", key
