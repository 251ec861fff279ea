"""The one place gitdgm speaks HTTP to the FM: forwarding with the real key and retries.

Transient failures (connection errors, timeouts, 408/429/5xx) are retried here with
exponential backoff, honouring ``Retry-After`` up to a cap, so that sandboxed agents never
need to; what still fails comes back as an OpenAI-style error the agent can log and stop on.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits ``backoff``, then doubles, never more than ``max_wait``."""

    attempts: int = 4
    backoff: float = 0.5
    max_wait: float = 20.0

    def wait(self, attempt: int, retry_after: float | None) -> float:
        wanted = retry_after if retry_after is not None else self.backoff * 2**attempt
        return max(0.0, min(wanted, self.max_wait))


class Stream(Protocol):
    """A streamed body: iterated as it comes, and closed once done with, read to the end or not."""

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


class Upstream:
    """An OpenAI-compatible base URL (OpenAI, vLLM, Ollama, llama.cpp...) and the key for it."""

    def __init__(self, base_url: str, api_key: str | None, retry: RetryPolicy, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self._retry = retry

    def send(self, method: str, path: str, body: bytes | None = None, stream: bool = False) -> Reply:
        """Forward one request; retry what is transient; never raise for the upstream's failures.

        With ``stream``, a 200's body is left open as ``Reply.stream`` (lines, read as they come);
        retries happen only before the first byte, as a stream cannot be resumed.
        """
        problem = ""
        headers = {"Content-Type": "application/json"} if body else None
        for attempt in range(self._retry.attempts):
            last = attempt + 1 == self._retry.attempts
            try:
                response = self._client.send(
                    self._client.build_request(method, path, content=body, headers=headers), stream=stream
                )
                if stream and response.status_code == 200:
                    return Reply(200, b"", response.headers.get("content-type", ""), _Lines(response))
                response.read()
                response.close()
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.info("gitdgm gateway: upstream %s failed (%s), attempt %d", path, problem, attempt + 1)
                if not last:
                    time.sleep(self._retry.wait(attempt, None))
                continue
            if response.status_code == 401:
                return self._key_refused()
            reply = Reply(response.status_code, response.content, response.headers.get("content-type", ""))
            if response.status_code not in RETRY_STATUSES or last:
                return reply
            log.info("gitdgm gateway: upstream %s answered %d, attempt %d", path, response.status_code, attempt + 1)
            time.sleep(self._retry.wait(attempt, retry_after_seconds(response.headers.get("retry-after"))))
        message = (
            f"gitdgm gateway: upstream {self.base_url} unreachable after {self._retry.attempts} attempts ({problem})"
        )
        log.warning("%s", message)
        return Reply(502, error_body(message, "upstream_unreachable", "upstream_unreachable"))

    def _key_refused(self) -> Reply:
        """A 401 is about gitdgm's key, not the agent: say so, and drop the body (it may quote part of the key)."""
        message = f"gitdgm gateway: upstream {self.base_url} refused gitdgm's API key (HTTP 401); check the key"
        log.warning("%s", message)
        return Reply(401, error_body(message, "upstream_auth", "upstream_auth"))

    def close(self) -> None:
        self._client.close()


class _Lines:
    """A streamed reply's lines as they come; ``close`` releases the connection, also if nothing was read."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._lines = response.iter_lines()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._lines).encode()
        except httpx.HTTPError as exc:
            log.warning("gitdgm gateway: upstream stream broke off (%s: %s)", type(exc).__name__, exc)
            raise StopIteration from None

    def close(self) -> None:
        self._response.close()
