"""What only the docker sandbox promises: no network, yet the gateway's unix socket is reachable (its own only)."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitdgm.sandbox import Sandbox
from gitdgm.sandbox.container import DockerSandbox

CONNECT_OUT = "import socket; socket.create_connection(('{host}', {port}), timeout=3); print('CONNECTED')"
ASK_GATEWAY = (
    "import os, httpx; "
    "c = httpx.Client(transport=httpx.HTTPTransport(uds=os.environ['GITDGM_GATEWAY_SOCKET'])); "
    "print(c.get(os.environ['OPENAI_BASE_URL'] + '/ping').text)"
)


PROBE_OWN_SOCKET = """
import json, os, httpx
folder = os.path.dirname(os.environ["GITDGM_GATEWAY_SOCKET"])
try:
    open(os.path.join(folder, "planted"), "w")
    write = "written"
except OSError as error:
    write = error.strerror
client = httpx.Client(transport=httpx.HTTPTransport(uds=os.environ["GITDGM_GATEWAY_SOCKET"]))
reply = client.get("http://gateway/v1/models", headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
print(json.dumps({"listing": sorted(os.listdir(folder)), "write": write, "status": reply.status_code}))
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"pong {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self) -> tuple[object, tuple[str, int]]:
        request, _ = super().get_request()
        return request, ("local", 0)  # BaseHTTPRequestHandler expects a (host, port) address


@pytest.fixture
def unix_http_socket(tmp_path: Path) -> Iterator[Path]:
    """A stdlib HTTP server on a unix socket in its own directory, stopped after the test."""
    path = tmp_path / "gw" / "gateway.sock"
    path.parent.mkdir()
    server = _UnixHTTPServer(str(path), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()


@pytest.fixture
def tcp_listener() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections (the container must still not reach it)."""
    server = socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.docker
@pytest.mark.parametrize("host", ["1.1.1.1", "127.0.0.1"])
def test_container_has_no_network(docker_sandbox: DockerSandbox, tcp_listener: int, host: str) -> None:
    result = docker_sandbox.run(["python3", "-c", CONNECT_OUT.format(host=host, port=tcp_listener)], mounts={},
                                cwd="/", env={}, timeout=20)
    assert result.exit_code == 1 and "CONNECTED" not in result.output
    assert "Network is unreachable" in result.output or "Connection refused" in result.output


@pytest.mark.parametrize("kind", ["process", "docker"])
def test_gateway_socket_is_reachable(request: pytest.FixtureRequest, kind: str, unix_http_socket: Path) -> None:
    sandbox: Sandbox = request.getfixturevalue(f"{kind}_sandbox")
    python = "python3" if sandbox.isolates else __import__("sys").executable
    result = sandbox.run([python, "-c", ASK_GATEWAY], mounts={}, cwd="/", timeout=20, socket=unix_http_socket,
                         env={"GITDGM_GATEWAY_SOCKET": "{socket}", "OPENAI_BASE_URL": "http://gateway/v1"})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "pong /v1/ping"


def test_a_run_reaches_only_its_own_gateway_socket_mounted_read_only(
    docker_sandbox: DockerSandbox, scripted_upstream, gateway
) -> None:
    gw = gateway(scripted_upstream({"schema": 1, "scenario": []}))
    mine, other = gw.open_run(agent="a", task="t"), gw.open_run(agent="b", task="t")
    result = docker_sandbox.run(["python3", "-c", PROBE_OWN_SOCKET], mounts={}, cwd="/", timeout=30, socket=mine.socket,
                                env={"GITDGM_GATEWAY_SOCKET": "{socket}", "OPENAI_API_KEY": mine.token})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"listing": ["gw.sock"], "write": "Read-only file system", "status": 200}
    assert [p.name for p in mine.socket.parent.iterdir()] == ["gw.sock"] and other.socket.is_socket()
