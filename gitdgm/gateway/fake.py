"""The scripted upstream: a real OpenAI-compatible HTTP server on 127.0.0.1 that replies from a script.

The FM is the only part of gitdgm that tests and ``gitdgm demo`` fake, and it is faked at its
HTTP protocol, so the real gateway, the real ``openai`` client and the real agent all run.

Script format (TOML)::

    schema = 1

    [[scenario]]
    name = "fix-add"
    # regexes (re.search), all optional, all must match: user = in the first user message,
    # system = in the system message, any = in any message
    match = { user = "fix add", system = "coding agent" }

    [[scenario.turns]]            # turn i answers a request whose messages hold i assistant messages
    content = "Let me look."
    tool_calls = [{ name = "bash", arguments = { command = "cat calc.py" } }]

    [[scenario.turns]]
    [[scenario.turns.tool_calls]]  # a tool call can also be written as a table
    name = "editor"
    arguments = { command = "str_replace", path = "calc.py", old_str = "a - b", new_str = "a + b" }

    [[scenario.turns]]
    content = "Fixed."

    [default]                     # one reply for requests no scenario matches (optional)
    content = "I cannot help with that."

    [server]                      # to imitate a real server (optional; all but context_window show the default)
    models = ["scripted"]         # what GET /models lists
    context_window = 8192         # tokens of prompt and reply (default: no limit)
    list_window = true            # the listing states the window (vLLM's max_model_len)
    stream_usage = true           # false: streams carry no usage, even when asked
    tool_choice_required = "ok"   # "error": tool_choice "required" is answered HTTP 500
    tools_need_choice = false     # true: tool calls only when the request sets tool_choice

Scenarios are tried in order and the first whose regexes all match answers. Turns past the
end answer ``"Done."`` with no tool calls. A turn's fields:

- ``content``: the reply's text (alone, e.g. the JSON a diagnosis asks for, or with tool calls);
- ``tool_calls``: ``[{name, arguments = {...}}]``, or ``arguments_raw = "{not json"`` to send
  arguments that are not valid JSON;
- ``status = 500`` and ``times = 2``: answer that HTTP status to the first 2 requests that
  reach this turn, then the normal reply (without ``times``: always); ``retry_after`` sends a
  ``Retry-After`` header (seconds) with it;
- ``delay``: seconds to wait before answering;
- ``usage = {prompt_tokens = N, completion_tokens = N}``: by default both are derived from the
  sizes of the messages and the reply (about 4 characters a token), so they are deterministic.

Every reply carries ``usage`` (a streamed one, asked with ``stream: true``, only when the request
sets ``stream_options.include_usage``, as OpenAI does). Content longer than the request's ``max_tokens``
(or ``max_completion_tokens``) allows, at 4 characters a token, is cut there with finish_reason
``"length"`` and that many completion tokens.

``[server]`` makes the fake behave like the servers users run, all of which gitdgm must cope with:

- ``context_window = N``: a completion whose prompt (the estimate of ``gitdgm.gateway.tokens`` of its
  messages' JSON) and ``max_tokens`` together exceed N is refused with HTTP 400 and llama-cpp-python's
  wording, "Requested tokens (X) exceed context window of N"; with ``list_window`` (the default)
  GET /models states it on every model as vLLM does (``max_model_len``);
- ``stream_usage = false``: no usage chunk in a stream, whatever the request asks (as some servers);
- ``tool_choice_required = "error"``: tool_choice "required" gets HTTP 500 (as llama-cpp-python);
- ``tools_need_choice = true``: a turn's tool calls come back only when the request sets tool_choice
  "auto" or "required" (llama-cpp-python's function calling); otherwise its content alone, or
  "I would run a command." when it has none.

The server keeps no state per conversation (the turn comes from the request itself), so one script
can drive many agents at once. Its state, all thread-safe: the count of error replies per scenario
and turn; ``requests_seen``; ``cancelled``, the requests whose client closed its connection while
their turn's ``delay`` ran (the fake notices, stops waiting and sends nothing, as a real server stops
generating); ``in_flight_max``, the most requests it was answering at once.

Run it by hand with ``python -m gitdgm.gateway.fake SCRIPT --port N``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gitdgm.errors import ConfigError
from gitdgm.gateway.handler import peer_closed
from gitdgm.gateway.script import Script, load_script, reply_body, stream_body
from gitdgm.gateway.upstream import error_object

ScriptSource = str | Path | Mapping[str, Any] | Script


class ClientGone(Exception):
    """The client closed its connection while its request waited: nothing is to be sent."""


class FakeUpstream:
    """The scripted server; ``requests_seen`` lists every request (path, authorization, body), ``cancelled`` those
    whose client went away while they waited, ``in_flight_max`` is the most requests answered at once."""

    def __init__(self, script: ScriptSource, port: int = 0) -> None:
        self.script: Script = script if isinstance(script, Script) else load_script(script)
        self.requests_seen: list[dict[str, Any]] = []
        self.cancelled: list[dict[str, Any]] = []
        self.in_flight_max = 0
        self._in_flight = 0
        self._errors_sent: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._connection = threading.local()  # the socket of the request this thread answers, to watch it
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.fake = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeUpstream:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="gitdgm-fake-fm", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the standalone command)."""
        with contextlib.suppress(KeyboardInterrupt):
            self._server.serve_forever()
        self._server.server_close()

    def answer(self, path: str, authorization: str, body: bytes) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        """(status, JSON object or event-stream bytes, extra headers) for one request; ClientGone when its client
        went away while it waited."""
        with self._lock:
            self._in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self._in_flight)
        try:
            return self._answer(path, authorization, body)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, path: str, authorization: str, body: bytes) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        route = path.split("?", 1)[0].rstrip("/").removeprefix("/v1")
        try:
            request = json.loads(body) if body else {}
        except ValueError:
            request = None
        seen = {"path": path, "authorization": authorization, "body": request}
        with self._lock:
            self.requests_seen.append(seen)
        server = self.script.server
        if route == "/models":
            return 200, server.listing(), {}
        if route != "/chat/completions":
            return 404, error_object(f"scripted upstream: no endpoint {path}", "invalid_request_error"), {}
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            return (
                400,
                error_object("scripted upstream: body must be JSON with 'messages'", "invalid_request_error"),
                {},
            )
        if refusal := server.refusal(request):
            return *refusal, {}
        messages = request["messages"]
        scenario = self.script.choose(messages)
        if scenario is None:
            first_user = next(
                (m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"), ""
            )
            message = (
                f"scripted upstream: no scenario of {self.script.source} matches"
                f" (first user message: {str(first_user)[:120]!r})"
            )
            return 400, error_object(message, "invalid_request_error", "no_scenario"), {}
        index = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
        turn = server.shaped(scenario.turn(index), request)
        if turn.delay and not self._client_stays(turn.delay):
            with self._lock:
                self.cancelled.append(seen)
            raise ClientGone
        if turn.status is not None:
            with self._lock:
                sent = self._errors_sent.get((scenario.name, index), 0)
                fail = turn.times is None or sent < turn.times
                if fail:
                    self._errors_sent[(scenario.name, index)] = sent + 1
            if fail:
                headers = {"Retry-After": str(turn.retry_after)} if turn.retry_after is not None else {}
                message = f"scripted upstream: error {turn.status} ({scenario.name} turn {index})"
                return turn.status, error_object(message, "server_error"), headers
        reply = reply_body(turn, request, index)
        if request.get("stream"):
            options = request.get("stream_options") or {}
            return 200, stream_body(reply, bool(options.get("include_usage")) and server.stream_usage), {}
        return 200, reply, {}

    def _client_stays(self, seconds: float) -> bool:
        """Wait ``seconds``, watching the client's connection: False as soon as the client closes it."""
        connection: socket.socket | None = getattr(self._connection, "socket", None)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if connection is None:
                time.sleep(left)
            elif select.select([connection], [], [], min(left, 0.05))[0]:
                if peer_closed(connection):
                    return False
                time.sleep(min(left, 0.05))  # it sent more (a pipelined request), which is no sign it left
        return True


class _Server(ThreadingHTTPServer):
    """The scripted FM's HTTP server; its handlers reach the script through ``fake``."""

    fake: FakeUpstream

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up is routine


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small replies must not wait for a delayed ACK
    server_version = "gitdgm-scripted-fm"

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.server.fake
        fake._connection.socket = self.connection
        try:
            status, payload, headers = fake.answer(self.path, self.headers.get("Authorization", ""), body)
        except ClientGone:
            self.close_connection = True
            return
        except Exception as exc:  # a script's own bug answers 500 saying what it was, rather than hanging up
            status, headers = 500, {}
            payload = error_object(f"scripted upstream failed: {type(exc).__name__}: {exc}", "server_error")
        streamed = isinstance(payload, bytes)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream" if streamed else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature: `format` shadows the builtin
        pass


@contextlib.contextmanager
def serve_script(script: ScriptSource) -> Iterator[str]:
    """Serve ``script`` on 127.0.0.1 (a random port) for the duration; yields the base URL."""
    with FakeUpstream(script) as fake:
        yield fake.base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitdgm.gateway.fake", description="Serve a scripted FM.")
    parser.add_argument("script", type=Path, help="the TOML script (format: this module's docstring)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    try:
        fake = FakeUpstream(args.script, args.port)
    except ConfigError as exc:
        parser.exit(1, f"error: {exc}\n")
    print(f"scripted upstream at {fake.base_url} (Ctrl-C stops it)", flush=True)
    fake.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
