"""The FM gateway: an OpenAI-compatible relay on a unix socket, run in a thread of gitdgm.

Sandboxes mount the socket, so an agent in a container with no network still reaches the
FM, and it never holds the API key: its ``OPENAI_API_KEY`` is a per-run token that only says
which run (agent, task) a request belongs to. The gateway swaps in the real key, counts
tokens and cost per run from the upstream's ``usage``, refuses requests once the shared
budget is spent (HTTP 402, which OpenAI clients do not retry), retries transient upstream
failures itself, and writes one transcript per run. Streamed completions are passed through
as they come and counted from their final usage chunk (see stream.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import secrets
import socket
import socketserver
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from gitdgm.errors import BudgetExceeded, ConfigError
from gitdgm.gateway.accounting import Budget, Ledger, Prices, Usage
from gitdgm.gateway.stream import StreamTally, relay
from gitdgm.gateway.transcript import Transcript
from gitdgm.gateway.upstream import Reply, RetryPolicy, Upstream, error_body

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gdgm-run-"
_MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux, NUL included


@dataclass
class _Run:
    agent: str
    task: str
    transcript: Transcript | None


class Gateway:
    """Relay between sandboxed agents and one upstream; use as a context manager."""

    def __init__(
        self,
        upstream_base_url: str,
        api_key: str | None,
        socket_path: str | os.PathLike[str],
        *,
        prices: Prices | None = None,
        budget: Budget | None = None,
        transcripts_dir: str | os.PathLike[str] | None = None,
        retry: RetryPolicy | None = None,
        upstream_timeout: float = 600.0,
    ) -> None:
        if not upstream_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model base URL must start with http:// or https://, not {upstream_base_url!r}")
        self.socket_path = Path(socket_path)
        if len(os.fsencode(self.socket_path)) > _MAX_SOCKET_PATH:
            raise ConfigError(
                f"gateway socket path is longer than {_MAX_SOCKET_PATH} bytes: {self.socket_path};"
                " use a shorter directory"
            )
        self.transcripts_dir = Path(transcripts_dir) if transcripts_dir is not None else None
        self._upstream = Upstream(upstream_base_url, api_key, retry or RetryPolicy(), upstream_timeout)
        self._ledger = Ledger(prices, budget)
        self._runs: dict[str, _Run] = {}
        self._transcripts: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._server: _UnixHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Gateway:
        _clear_stale_socket(self.socket_path)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self._server = _UnixHTTPServer(str(self.socket_path), _Handler)
        self._server.gateway = self
        # Containers may run agents under another uid; the run token, not the file mode, guards access.
        os.chmod(self.socket_path, 0o666)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="gitdgm-gateway", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self.socket_path.unlink(missing_ok=True)
        self._upstream.close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- runs and accounting ---------------------------------------------------------------
    def open_run(self, agent: str, task: str) -> str:
        """A fresh token for one run of ``agent`` on ``task``; it goes into OPENAI_API_KEY."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        transcript = Transcript(self.transcripts_dir, agent, task) if self.transcripts_dir else None
        self._ledger.open(token, agent, task)
        with self._lock:
            self._runs[token] = _Run(agent, task, transcript)
            if transcript:
                self._transcripts[token] = transcript.path
        return token

    def close_run(self, token: str) -> Usage:
        """Stop accepting the token and return what its run used."""
        with self._lock:
            self._runs.pop(token, None)
        return self._ledger.usage(token)

    def usage(self, token: str) -> Usage:
        return self._ledger.usage(token)

    def transcript_path(self, token: str) -> Path | None:
        """Where the run's transcript is (also after ``close_run``); None without transcripts_dir."""
        with self._lock:
            return self._transcripts.get(token)

    @property
    def total(self) -> Usage:
        return self._ledger.total

    def totals_by_agent(self) -> dict[str, Usage]:
        return self._ledger.totals_by("agent")

    def totals_by_task(self) -> dict[str, Usage]:
        return self._ledger.totals_by("task")

    @property
    def budget_exhausted(self) -> bool:
        return self._ledger.exhausted() is not None

    def check_budget(self) -> None:
        """Raise BudgetExceeded once the budget is spent, so a step can stop cleanly."""
        why = self._ledger.exhausted()
        if why:
            raise BudgetExceeded(f"gitdgm: budget exhausted ({why})")

    # -- requests --------------------------------------------------------------------------
    def handle(self, method: str, path: str, authorization: str, body: bytes) -> Reply:
        """Answer one HTTP request from an agent."""
        route = path.split("?", 1)[0].rstrip("/")
        route = route.removeprefix("/v1")
        if route not in ("/chat/completions", "/models"):
            return Reply(404, error_body(f"gitdgm gateway: no endpoint {path}", "invalid_request_error", "not_found"))
        expected = "POST" if route == "/chat/completions" else "GET"
        if method != expected:
            return Reply(405, error_body(f"gitdgm gateway: use {expected} for {route}", "invalid_request_error"))
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            run = self._runs.get(token)
        if run is None:
            message = "gitdgm gateway: unknown or closed run token (OPENAI_API_KEY must be the token gitdgm gave)"
            return Reply(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        if route == "/models":
            return self._upstream.send("GET", "models")
        return self._complete(token, run, body)

    def _complete(self, token: str, run: _Run, body: bytes) -> Reply:
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self._ledger.record_error(token)
            return Reply(400, error_body(f"gitdgm gateway: request body is not JSON ({exc})", "invalid_request_error"))
        why = self._ledger.exhausted()
        if why:
            self._ledger.record_error(token)
            return Reply(402, error_body(f"gitdgm: budget exhausted ({why})", "budget_exceeded", "budget_exceeded"))
        started = time.monotonic()
        streaming = bool(request.get("stream"))
        if streaming:  # ask for the usage chunk, so that streamed calls are counted too
            options = request.get("stream_options") if isinstance(request.get("stream_options"), dict) else {}
            tally = StreamTally(hide_usage_chunk=not options.get("include_usage"))
            body = json.dumps(request | {"stream_options": options | {"include_usage": True}}).encode()
        reply = self._upstream.send("POST", "chat/completions", body, stream=streaming)
        if reply.stream is not None:
            chunks = self._settle_after(token, run, request, tally, relay(reply.stream, tally), started)
            return dataclasses.replace(reply, stream=chunks)
        self._settle(token, run, request, reply.status, _json_or_text(reply.body), started)
        return reply

    def _settle(
        self, token: str, run: _Run, request: dict[str, Any], status: int, response: Any, started: float
    ) -> None:
        """Count one finished call and add it to the run's transcript."""
        if status == 200 and isinstance(response, dict):
            models = [str(m) for m in (request.get("model"), response.get("model")) if m]
            self._ledger.record(token, models, response.get("usage"))
        else:
            self._ledger.record_error(token)
        if run.transcript:
            run.transcript.write(request, status, response, time.monotonic() - started)

    def _settle_after(
        self,
        token: str,
        run: _Run,
        request: dict[str, Any],
        tally: StreamTally,
        chunks: Iterator[bytes],
        started: float,
    ) -> Iterator[bytes]:
        """Pass a stream on, then settle it, also when the agent hangs up half-way."""
        try:
            yield from chunks
        finally:
            self._settle(token, run, request, 200, tally.response(), started)


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket left by a dead gateway; refuse to steal one a live gateway serves."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"gateway socket path exists and is not a socket: {path}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink(missing_ok=True)
            return
    raise ConfigError(f"another gateway is already listening on {path}; stop it or choose another socket path")


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    gateway: Gateway

    def handle_error(self, request: object, client_address: object) -> None:
        # An agent killed mid-request leaves a broken pipe: routine, not worth a traceback on gitdgm's stderr.
        log.debug("gitdgm gateway: connection dropped", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: agents reuse one connection for all their calls
    server_version = "gitdgm-gateway"
    timeout = 900  # drop connections idle this long
    server: _UnixHTTPServer

    def _serve(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            body = self.rfile.read(int(length)) if length else b""
        except ValueError:
            self.close_connection = True
            self._send(Reply(400, error_body("gitdgm gateway: bad Content-Length", "invalid_request_error")))
            return
        try:
            reply = self.server.gateway.handle(self.command, self.path, self.headers.get("Authorization", ""), body)
        except Exception as exc:  # a bug here must still answer, or the client would retry blindly
            log.exception("gitdgm gateway: internal error")
            reply = Reply(
                500, error_body(f"gitdgm gateway: internal error ({type(exc).__name__}: {exc})", "server_error")
            )
        self._send(reply)

    do_GET = do_POST = _serve

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type or "application/json")
        if reply.stream is not None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
        if reply.status >= 400:
            # The gateway has already retried what was worth retrying.
            self.send_header("x-should-retry", "false")
        self.end_headers()
        if reply.stream is None:
            self.wfile.write(reply.body)
            return
        with contextlib.closing(reply.stream) as chunks:  # closing settles the stream even on a broken pipe
            for data in chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("gitdgm gateway: " + format, *args)
