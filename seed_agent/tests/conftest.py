"""Fixtures: a scripted OpenAI-compatible server on a unix socket, and a runner for the real agent process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

TREE = Path(__file__).resolve().parent.parent  # the agent's tree root
if str(TREE) not in sys.path:
    sys.path.insert(0, str(TREE))


class FakeModel:
    """Answers each POST .../chat/completions with the next scripted reply, and records the requests.

    A reply is a response body (dict), a `(status, body)` pair, or a callable taking the request body and
    returning one of those. When the script is used up, `default` answers (by default: a final answer).
    """

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.script: list[Any] = []
        self.default: Any = self.answer("Done.")
        self.requests: list[dict] = []
        self.headers: list[dict] = []

    def add(self, *replies: Any) -> None:
        self.script.extend(replies)

    def next_reply(self, request: dict) -> tuple[int, dict]:
        self.requests.append(request)
        reply = self.script.pop(0) if self.script else self.default
        reply = reply(request) if callable(reply) else reply
        return reply if isinstance(reply, tuple) else (200, reply)

    @staticmethod
    def answer(text: str, finish_reason: str = "stop") -> dict:
        message = {"role": "assistant", "content": text}
        return {"id": "r", "object": "chat.completion", "created": 0, "model": "fake",
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    @staticmethod
    def fenced(*calls: tuple[str, Any], text: str = "") -> dict:
        """A reply whose text holds the calls as ```tool blocks (the agent's text protocol)."""
        blocks = [f"```tool\n{json.dumps({'name': name, 'arguments': args})}\n```" for name, args in calls]
        return FakeModel.answer("\n\n".join(filter(None, [text, *blocks])))

    @staticmethod
    def calls(*calls: tuple[str, Any]) -> dict:
        """A reply with tool calls; each is (name, arguments as a dict, or a raw string sent as is)."""
        tool_calls = [{"id": f"call_{i}", "type": "function",
                       "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
                      for i, (name, args) in enumerate(calls)]
        return {"id": "r", "object": "chat.completion", "created": 0, "model": "fake",  # no usage: allowed
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": None, "tool_calls": tool_calls}}]}

    def tool_messages(self, request_index: int) -> list[str]:
        """The tool results the agent sent in request `request_index` after the last assistant message."""
        messages = self.requests[request_index]["messages"]
        last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
        return [m["content"] for m in messages[last + 1:] if m["role"] == "tool"]


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False


def _handler(model: FakeModel) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            model.headers.append({k.lower(): v for k, v in self.headers.items()})
            status, body = model.next_reply(request)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def short_dir() -> Path:
    """A directory with a short path: unix socket paths are limited to about 100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="dgm-", dir="/tmp" if len(tempfile.gettempdir()) > 60 else None))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fake_model(short_dir: Path) -> FakeModel:
    model = FakeModel(str(short_dir / "model.sock"))
    server = _Server(model.socket_path, _handler(model))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield model
    server.shutdown()
    server.server_close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The code the agent works on: an add() that subtracts."""
    path = tmp_path / "repo"
    path.mkdir()
    (path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return path


@dataclass
class Run:
    returncode: int
    stderr: str
    events: list[dict]
    transcript: str

    @property
    def end(self) -> dict:
        return self.events[-1]

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]


@pytest.fixture
def agent_env(tmp_path: Path, fake_model: FakeModel) -> Callable[..., dict[str, str]]:
    """The variables the harness gives the agent (see the agent protocol), with `overrides` applied."""

    def variables(problem: str = "Fix the bug.", **overrides: str) -> dict[str, str]:
        (tmp_path / "problem.md").write_text(problem)
        return {"PYTHONPATH": str(TREE), "GITDGM_AGENT_DIR": str(TREE),
                "GITDGM_PROBLEM_FILE": str(tmp_path / "problem.md"), "GITDGM_OUTPUT_DIR": str(tmp_path / "out"),
                "GITDGM_TIME_LIMIT": "60", "GITDGM_MODEL": "fake-model",
                "OPENAI_BASE_URL": "http://gateway/v1", "GITDGM_GATEWAY_SOCKET": fake_model.socket_path,
                "OPENAI_API_KEY": "gdgm-run-test"} | overrides

    return variables


def read_run(out: Path, returncode: int, stderr: str = "") -> Run:
    log = out / "log.jsonl"
    events = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    transcript = (out / "transcript.md").read_text() if (out / "transcript.md").exists() else ""
    return Run(returncode, stderr, events, transcript)


@pytest.fixture
def run_agent(agent_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Runs the agent in `repo`: in a new `python3 -P -m dgm_agent` process, as the harness does, or (faster:
    openai is imported once) by calling its `main()` in this process with the same variables."""

    def run(repo: Path, problem: str = "Fix the bug.", new_process: bool = False, **env: str) -> Run:
        variables = agent_env(problem, **env)
        for name in os.environ:
            if name.startswith(("GITDGM_", "OPENAI_")):
                monkeypatch.delenv(name)
        if new_process:
            process = subprocess.run([sys.executable, "-P", "-m", "dgm_agent"], cwd=repo,
                                     env=dict(os.environ) | variables, capture_output=True, text=True, timeout=60)
            return read_run(Path(variables["GITDGM_OUTPUT_DIR"]), process.returncode, process.stderr)
        from dgm_agent.__main__ import main

        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(repo)
        handler = signal.getsignal(signal.SIGTERM)
        try:
            returncode = main()
        finally:
            signal.signal(signal.SIGTERM, handler)
        return read_run(Path(variables["GITDGM_OUTPUT_DIR"]), returncode)

    return run
