"""The FM gateway: an OpenAI-compatible relay on unix sockets, one per run, run in threads of gitdgm.

A sandbox mounts only its own run's socket directory (read-only), so an agent in a container with no
network still reaches the FM, and it never holds the API key: its ``OPENAI_API_KEY`` is a per-run
token, accepted only on that run's socket and only while the run lives, so one run can neither see
nor reach another's. The gateway swaps in the real key, counts tokens and cost per run from the
upstream's ``usage``, reserves each call's worst case against the shared budget and refuses what
would pass it (HTTP 402, which OpenAI clients do not retry; see Budget), refuses bodies over a size
before reading them (413), retries transient upstream failures itself (upstream.py: the one retry policy),
scrubs secrets from all it relays or writes (scrub.py), and writes one transcript per run in a directory no
sandbox sees. Each run has its ``CallLimits``: every call's reply is capped at the role's ``max_tokens`` (added
when the caller set none) and the call at its time limit; a call whose caller hangs up is cancelled upstream.
Streamed completions are passed through as they come and counted from their final usage chunk, or by estimate
when the server sends none (see stream.py, tokens.py).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import shutil
import socket
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitdgm.errors import BudgetExceeded, ConfigError
from gitdgm.gateway.accounting import Budget, Ledger, Prices, Reservation, Usage
from gitdgm.gateway.calls import CallLimits, capped, completion_reservation, estimated_usage
from gitdgm.gateway.handler import Connection, Handler
from gitdgm.gateway.listen import Listeners
from gitdgm.gateway.scrub import Scrubber
from gitdgm.gateway.stream import Relay, StreamTally
from gitdgm.gateway.tokens import estimate_tokens
from gitdgm.gateway.transcript import Transcript, calls_summary
from gitdgm.gateway.upstream import RETRY_STATUSES, Call, Reply, RetryPolicy, Upstream, error_body

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gdgm-run-"
SOCKET_NAME = "gw.sock"
_MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux, NUL included
_RUN_SUFFIX = len(f"/r-12345678/{SOCKET_NAME}")  # what open_run adds to the gateway directory
_MAX_CONNECTIONS = 128  # per run: each is a thread of gitdgm, so a hostile agent cannot open thousands


@dataclass(frozen=True)
class RunEndpoint:
    """What one run is given: its token (its OPENAI_API_KEY) and the only socket that accepts it."""

    token: str
    socket: Path


@dataclass(eq=False)
class Run:
    agent: str
    task: str
    token: str
    folder: Path
    listener: socket.socket
    transcript: Transcript | None
    limits: CallLimits
    connections: set[socket.socket] = field(default_factory=set)
    open: bool = True


class Gateway:
    """Relay between sandboxed agents and one upstream; use as a context manager.

    ``directory`` is the gateway's own (made with mode 0o700 if missing): each run's socket lives in a
    fresh folder inside it, and nothing else of the gateway does.
    """

    def __init__(
        self,
        upstream_base_url: str,
        api_key: str | None,
        directory: str | os.PathLike[str],
        *,
        prices: Prices | None = None,
        budget: Budget | None = None,
        transcripts_dir: str | os.PathLike[str] | None = None,
        retry: RetryPolicy | None = None,
        upstream_timeout: float = 600.0,
        concurrency: int = 0,
        max_request_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        if not upstream_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model base URL must start with http:// or https://, not {upstream_base_url!r}")
        self.directory = Path(directory).absolute()
        if len(os.fsencode(self.directory)) + _RUN_SUFFIX > _MAX_SOCKET_PATH:
            raise ConfigError(
                f"gateway directory is longer than {_MAX_SOCKET_PATH - _RUN_SUFFIX} bytes: {self.directory};"
                " unix socket paths inside it would be too long, use a shorter directory"
            )
        self.transcripts_dir = Path(transcripts_dir).absolute() if transcripts_dir is not None else None
        self.max_request_bytes = max_request_bytes
        self.scrubber = Scrubber([api_key])
        self._upstream = Upstream(upstream_base_url, api_key, retry or RetryPolicy(), upstream_timeout, concurrency)
        self._ledger = Ledger(prices, budget)
        self._runs: dict[str, Run] = {}
        self._transcripts: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._listeners: Listeners | None = None
        self.model_list: bytes | None = None  # the upstream's last answer to GET models (see ``probe``)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Gateway:
        for directory in filter(None, (self.directory, self.transcripts_dir)):
            _private_dir(directory)
        self._listeners = Listeners("gitdgm-gateway")
        return self

    def close(self) -> None:
        with self._lock:
            tokens = list(self._runs)
        for token in tokens:
            self.close_run(token)
        if self._listeners is not None:
            self._listeners.close()
            self._listeners = None
        self._upstream.close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- runs and accounting ---------------------------------------------------------------
    def open_run(self, agent: str, task: str, limits: CallLimits = CallLimits()) -> RunEndpoint:
        """A fresh endpoint for one run of ``agent`` on ``task``: its token goes into OPENAI_API_KEY."""
        if self._listeners is None:
            raise RuntimeError("gitdgm gateway: open_run before start")
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        folder = Path(tempfile.mkdtemp(prefix="r-", dir=self.directory))
        path = folder / SOCKET_NAME
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(path))
            # Agents in a container may run under another uid: the folder holds this socket alone and the
            # token, not the file mode, guards it.
            os.chmod(folder, 0o755)
            os.chmod(path, 0o666)
            listener.listen(_MAX_CONNECTIONS)
        except OSError:
            listener.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        limits = replace(limits, timeout=limits.timeout or self._upstream.timeout)
        run = Run(agent, task, token, folder, listener, self._transcript(agent, task), limits)
        self._ledger.open(token, agent, task)
        with self._lock:
            self._runs[token] = run
            if run.transcript:
                self._transcripts[token] = run.transcript.path
        self._listeners.add(listener, lambda connection: self._accept(run, connection))
        return RunEndpoint(token, path)

    def close_run(self, token: str) -> Usage:
        """Stop the run's socket, drop its open connections, forget its token; return what the run used."""
        with self._lock:
            run = self._runs.pop(token, None)
            if run is not None:
                run.open = False
        if run is not None:
            if self._listeners is not None:
                self._listeners.remove(run.listener)
            run.listener.close()
            shutil.rmtree(run.folder, ignore_errors=True)
            with self._lock:
                connections = list(run.connections)
            for connection in connections:
                _hang_up(connection)
            if run.transcript:
                run.transcript.close()
        return self._ledger.usage(token)

    def usage(self, token: str) -> Usage:
        return self._ledger.usage(token)

    def transcript_path(self, token: str) -> Path | None:
        """Where the run's transcript is (also after ``close_run``); None without transcripts_dir."""
        with self._lock:
            return self._transcripts.get(token)

    def calls_summary(self, token: str, limit: int) -> str:
        """The run's model calls, one line each, its last ``limit`` characters ("" without transcripts)."""
        path = self.transcript_path(token)
        return calls_summary(path, limit) if path is not None else ""

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

    def probe(self) -> str | None:
        """Why the model cannot be reached now (None when it answers): one ``GET models``, retried like any
        call. Any answer below 500 but 401 counts as reachable: some servers have no ``/models``."""
        reply = self._upstream.send("GET", "models")
        if reply.status == 200:
            self.model_list = reply.body
        if not not_the_agents(reply.status):
            return None
        try:
            message = json.loads(reply.body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {reply.status}"
        message = self.scrubber.scrub(str(message).encode()).decode(errors="replace")[:300]
        return f"the model at {self._upstream.base_url} cannot be used: {message}"

    def check_budget(self) -> None:
        """Raise BudgetExceeded once the budget is spent, so a step can stop cleanly."""
        why = self._ledger.exhausted()
        if why:
            raise BudgetExceeded(f"gitdgm: budget exhausted ({why})")

    def _transcript(self, agent: str, task: str) -> Transcript | None:
        if self.transcripts_dir is None:
            return None
        try:
            return Transcript(self.transcripts_dir, agent, task, self.scrubber)
        except OSError as exc:  # a folder that is a link, or not gitdgm's: write nothing there
            log.warning("gitdgm gateway: no transcript for %s on %s (%s)", agent, task, exc)
            return None

    def _accept(self, run: Run, connection: socket.socket) -> None:
        """Serve a new connection to ``run``'s socket in a thread of its own (called by the accepting thread)."""
        with self._lock:
            if not run.open or len(run.connections) >= _MAX_CONNECTIONS:
                connection.close()
                return
            run.connections.add(connection)
        serve = threading.Thread(target=self._serve_connection, args=(run, connection), name="gitdgm-gateway-run")
        serve.daemon = True
        serve.start()

    def _serve_connection(self, run: Run, connection: socket.socket) -> None:
        try:
            Handler(connection, "unix", Connection(self, run))
        except Exception:  # an agent killed mid-request leaves a broken pipe: routine, not worth a traceback
            log.debug("gitdgm gateway: connection dropped", exc_info=True)
        finally:
            with self._lock:
                run.connections.discard(connection)
            connection.close()

    # -- requests --------------------------------------------------------------------------
    def handle(
        self, run: Run, method: str, path: str, authorization: str, body: bytes, call: Call | None = None
    ) -> Reply:
        """Answer one HTTP request that came in on ``run``'s socket; ``call`` cancels it (its client hung up)."""
        call = call or Call(run.limits.timeout)
        route = path.split("?", 1)[0].rstrip("/")
        route = route.removeprefix("/v1")
        if route not in ("/chat/completions", "/models"):
            return Reply(404, error_body(f"gitdgm gateway: no endpoint {path}", "invalid_request_error", "not_found"))
        expected = "POST" if route == "/chat/completions" else "GET"
        if method != expected:
            return Reply(405, error_body(f"gitdgm gateway: use {expected} for {route}", "invalid_request_error"))
        token = authorization.removeprefix("Bearer ").strip().encode(errors="replace")
        with self._lock:
            live = run.open
        if not live or not hmac.compare_digest(token, run.token.encode()):
            message = "gitdgm gateway: unknown or closed run token (OPENAI_API_KEY must be the token gitdgm gave)"
            return Reply(401, error_body(message, "invalid_request_error", "invalid_api_key"))
        if route == "/models":
            return self._upstream.send("GET", "models", call=call)
        return self._complete(run, body, call)

    def _complete(self, run: Run, body: bytes, call: Call) -> Reply:
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            self._ledger.record_error(run.token)
            return Reply(400, error_body(f"gitdgm gateway: request body is not JSON ({exc})", "invalid_request_error"))
        streaming = bool(request.get("stream"))
        options = request.get("stream_options")
        options = options if isinstance(options, dict) else {}
        tally = StreamTally(hide_usage_chunk=not options.get("include_usage"))
        sent = capped(request, run.limits.max_tokens)
        if streaming:  # ask for the usage chunk, so that streamed calls are counted too
            sent = sent | {"stream_options": options | {"include_usage": True}}
        if sent != request:
            body = json.dumps(sent).encode()
        models = [str(request["model"])] if request.get("model") else []
        if self._ledger.budget.max_usd is not None and not self._ledger.priced(models):
            self._ledger.record_error(run.token)
            model = models[0] if models else "(none)"
            message = (
                f"gitdgm gateway: model {model!r} has no price in gitdgm.toml and the"
                " budget is in dollars, so its calls cannot be counted against it; use a priced model"
            )
            return Reply(400, error_body(message, "invalid_request_error", "model_not_priced"))
        try:
            held = self._ledger.reserve(models, estimate_tokens(body), completion_reservation(sent, self._ledger))
        except BudgetExceeded as exc:
            self._ledger.record_error(run.token, model_failure=True)
            return Reply(402, error_body(str(exc), "budget_exceeded", "budget_exceeded"))
        started = time.monotonic()
        try:
            reply = self._upstream.send("POST", "chat/completions", body, stream=streaming, call=call)
        except BaseException:
            self._ledger.record_error(run.token, held)
            raise
        if reply.stream is not None:

            def settle(broken: str) -> None:
                self._settle(run, request, 200, tally.response(), started, held, broken)

            return replace(reply, stream=Relay(reply.stream, tally, settle))
        self._settle(run, request, reply.status, _json_or_text(reply.body), started, held)
        return reply

    def _settle(
        self,
        run: Run,
        request: dict[str, Any],
        status: int,
        response: Any,
        started: float,
        held: Reservation,
        broken: str = "",
    ) -> None:
        """Count one finished call, release its reservation and add it to the run's transcript.

        A reply without usage is counted by estimate (and marked so); a stream the upstream broke off or that ran
        out of time is counted as used and as a model failure."""
        if status == 200 and isinstance(response, dict):
            models = [str(m) for m in (request.get("model"), response.get("model")) if m]
            usage, estimated = response.get("usage"), False
            if not isinstance(usage, dict) or not usage:
                usage, estimated = estimated_usage(request, response), True
                response["usage_estimated"] = True
            self._ledger.record(run.token, models, usage, held, estimated=estimated, failed=bool(broken))
        else:
            self._ledger.record_error(run.token, held, model_failure=not_the_agents(status))
        if run.transcript:
            run.transcript.write(request, status, response, time.monotonic() - started)


def not_the_agents(status: int) -> bool:
    """Whether an upstream's error reply is the infrastructure's failure rather than the request's: what the
    upstream still refused after retries (408, 429, 5xx), gitdgm's own key refused (401), or unreachable (502)."""
    return status in RETRY_STATUSES or status == 401


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _private_dir(path: Path) -> None:
    """Make ``path`` with mode 0o700, or check that it is gitdgm's own directory that no one else can write."""
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        pass
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise ConfigError(
            f"gateway directory {path} must be a directory (not a link) of gitdgm's user, writable only by it"
        )


def _hang_up(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)  # wakes the thread reading it; it then closes the connection
    except OSError:
        pass
