"""What only the docker sandbox promises: no network, yet the gateway's unix socket is reachable (its own only)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socketserver
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitdgm.sandbox import Sandbox, owner, warm
from gitdgm.sandbox.container import LABEL, OWNER_LABEL, DockerSandbox, remove_orphans

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


# -- warm containers (sandbox/warm.py): made and started ahead, one run each, the run's folders staged and given back --

PROBE = """
import json, os, socket
agent = os.environ["AGENT"]
try:
    open(os.path.join(agent, "planted"), "w")
    ro = "written"
except OSError as error:
    ro = error.strerror
fresh = not os.path.exists("/tmp/marker")
open("/tmp/marker", "w").close()
open("log.txt", "a").write("run\\n")
env = {k: v for k, v in os.environ.items() if k != "HOSTNAME"}
print(json.dumps({"cwd": os.getcwd(), "pid": os.getpid(), "uid": os.getuid(), "repo": sorted(os.listdir(".")),
                  "agent": sorted(os.listdir(agent)), "ro": ro, "fresh": fresh, "env": env,
                  "host": socket.gethostname(), "pid1": open("/proc/1/cmdline").read().split("\\0")[:2]}))
"""


def _ready(sandbox: DockerSandbox, n: int = 1) -> int:
    """Wait until ``n`` warm containers are ready; returns the pool's hits so far."""
    deadline = time.monotonic() + 30
    while sandbox.pool.idle() < n:
        assert time.monotonic() < deadline, f"no warm container was made: {sandbox.pool.disabled}"
        time.sleep(0.02)
    return sandbox.pool.hits


def _mine(client: object) -> list[str]:
    """This process's sandbox containers (another test session may share the daemon)."""
    found = client.api.containers(all=True, filters={"label": f"{LABEL}=1"})  # type: ignore[attr-defined]
    return [c["Id"] for c in found if (c["Labels"] or {}).get(OWNER_LABEL) == owner.running().name]


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    repo, agent = tmp_path / "repo", tmp_path / "agent"
    (agent / "pkg").mkdir(parents=True)
    repo.mkdir()
    (repo / "a.txt").write_text("one\n")
    (agent / "code.py").write_text("print(1)\n")
    (agent / "pkg" / "m.py").write_text("")
    (agent / "etc").symlink_to("/etc")  # a link in a read-only tree: linked as a link, never followed
    return repo, agent


def test_a_warm_run_sees_what_a_cold_run_sees_in_a_fresh_container(docker_sandbox: DockerSandbox,
                                                                   folders: tuple[Path, Path]) -> None:
    repo, agent = folders
    mode = repo.stat().st_mode
    run = {"mounts": {"repo": repo, "agent": agent}, "read_only": {"agent"}, "cwd": "{repo}",
           "env": {"AGENT": "{agent}"}, "timeout": 30}
    cold = docker_sandbox.run(["python3", "-c", PROBE], **run)
    hits = _ready(docker_sandbox)
    hot = docker_sandbox.run(["python3", "-c", PROBE], **run)
    assert docker_sandbox.pool.hits == hits + 1
    assert cold.exit_code == hot.exit_code == 0, (cold.output, hot.output)
    seen = [json.loads(r.output) for r in (cold, hot)]
    assert seen[0].pop("host") != seen[1].pop("host")  # two containers
    assert seen[0] == seen[1]
    assert seen[1] | {"env": {}} == {"cwd": "/gitdgm/repo", "pid": 1, "uid": os.getuid(), "repo": ["a.txt", "log.txt"],
                                     "agent": ["code.py", "etc", "pkg"], "ro": "Read-only file system", "fresh": True,
                                     "env": {}, "pid1": ["python3", "-c"]}
    assert seen[1]["env"]["AGENT"] == "/gitdgm/agent" and seen[1]["env"]["HOME"] == "/tmp"
    assert (repo / "log.txt").read_text() == "run\nrun\n" and repo.stat().st_mode == mode
    assert sorted(p.name for p in agent.iterdir()) == ["code.py", "etc", "pkg"]


def test_what_a_warm_run_leaves_comes_back_as_it_is(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir(mode=0o750)
    (repo / "a.txt").write_text("one\n")
    run = {"mounts": {"repo": repo}, "cwd": "{repo}", "env": {}, "timeout": 30}
    docker_sandbox.run(["true"], **run)
    hits = _ready(docker_sandbox)
    script = "rm a.txt; echo new > b.txt; ln -s /etc escape; mkdir locked; chmod 0 locked; chmod 500 {repo}"
    result = docker_sandbox.run(["sh", "-c", script], **run)
    assert result.exit_code == 0 and docker_sandbox.pool.hits == hits + 1, result.output
    assert sorted(p.name for p in repo.iterdir()) == ["b.txt", "escape", "locked"]
    assert os.readlink(repo / "escape") == "/etc" and (repo / "b.txt").read_text() == "new\n"
    assert stat.S_IMODE(repo.stat().st_mode) == 0o750 and stat.S_IMODE((repo / "locked").lstat().st_mode) == 0


def test_concurrent_warm_runs_each_get_a_container_of_their_own(docker_sandbox: DockerSandbox, tmp_path: Path,
                                                                folders: tuple[Path, Path]) -> None:
    _, agent = folders  # read-only and shared by every run at once, as an evaluation's agent folder is
    repos = [tmp_path / f"repo{i}" for i in range(4)]
    hosts: list[str] = []

    def work(repo: Path) -> None:
        repo.mkdir()
        for round in range(3):
            result = docker_sandbox.run(["sh", "-c", "hostname >> hosts; ls {agent} >> seen; sleep 0.2"],
                                        mounts={"repo": repo, "agent": agent}, read_only={"agent"}, cwd="{repo}",
                                        env={}, timeout=30)
            assert result.exit_code == 0, result.output
        hosts.extend((repo / "hosts").read_text().split())
        assert (repo / "seen").read_text() == "code.py\netc\npkg\n" * 3

    threads = [threading.Thread(target=work, args=(repo,)) for repo in repos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(hosts) == 12 and len(set(hosts)) == 12  # no container served two runs
    assert docker_sandbox.pool.hits >= 4


def test_runs_sharing_a_writable_folder_each_see_all_of_it(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    for i in range(50):
        (shared / f"f{i}").write_text("x")
    run = {"mounts": {"work": shared}, "cwd": "{work}", "env": {}, "timeout": 30}
    docker_sandbox.run(["true"], **run)
    _ready(docker_sandbox, 2)
    counts: list[str] = []

    def work(i: int) -> None:
        result = docker_sandbox.run(["sh", "-c", f"sleep 0.3; ls | wc -l; touch new{i}"], **run)
        counts.append(result.output.strip())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(counts) == ["50", "51"]  # the second waited for the folder to come back from the first
    assert len(list(shared.iterdir())) == 52


def test_limits_hold_in_warm_runs(docker_sandbox: DockerSandbox) -> None:
    run = {"mounts": {}, "cwd": "/", "env": {}}
    docker_sandbox.run(["true"], timeout=20, **run)
    hits = _ready(docker_sandbox)
    start = time.monotonic()
    late = docker_sandbox.run(["sh", "-c", "echo started; sleep 60"], timeout=1.5, **run)
    assert late.timed_out and late.exit_code == 137 and late.output == "started\n"
    assert time.monotonic() - start < 3.5
    _ready(docker_sandbox)
    loud = docker_sandbox.run(["sh", "-c", "head -c 10G /dev/zero"], timeout=60, output_limit=100_000, **run)
    assert loud.output_exceeded and loud.exit_code == 137 and len(loud.output) == 100_000
    _ready(docker_sandbox)
    greedy = docker_sandbox.run(["python3", "-c", "b = bytearray(1 << 30)"], timeout=60, **run)
    assert greedy.exit_code == 137 and "out of memory (limit 256m)" in greedy.output
    _ready(docker_sandbox)
    missing = docker_sandbox.run(["no-such-command-xyz"], timeout=20, **run)
    assert missing.exit_code == 127 and "no-such-command-xyz" in missing.output
    _ready(docker_sandbox)
    bomb = docker_sandbox.run(["sh", "-c", "for i in $(seq 100); do sleep 5 & done; wait"], timeout=20, **run)
    assert "fork" in bomb.output.lower() or "resource" in bomb.output.lower()  # the pids limit
    _ready(docker_sandbox)
    assert docker_sandbox.run(["ls", "/sys/class/net"], timeout=20, **run).output.split() == ["lo"]  # no network
    assert docker_sandbox.pool.hits == hits + 6


def test_an_interrupted_warm_run_gives_its_folder_back(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    (tmp_path / "keep").write_text("kept")
    run = {"mounts": {"io": tmp_path}, "cwd": "/", "env": {}, "timeout": 30}
    docker_sandbox.run(["true"], **run)
    hits = _ready(docker_sandbox)
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt))
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            docker_sandbox.run(["sh", "-c", "echo $$ > {io}/pid; sleep 300"], **run)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert docker_sandbox.pool.hits == hits + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep", "pid"]  # the fixture checks no container is left


def test_a_warm_run_reaches_only_its_own_gateway_socket(docker_sandbox: DockerSandbox, scripted_upstream,
                                                        gateway) -> None:
    gw = gateway(scripted_upstream({"schema": 1, "scenario": []}))
    outcomes = []
    for agent in ("a", "b"):
        mine = gw.open_run(agent=agent, task="t")
        if agent == "b":
            hits = _ready(docker_sandbox)
        result = docker_sandbox.run(["python3", "-c", PROBE_OWN_SOCKET], mounts={}, cwd="/", timeout=30,
                                    socket=mine.socket,
                                    env={"GITDGM_GATEWAY_SOCKET": "{socket}", "OPENAI_API_KEY": mine.token})
        assert result.exit_code == 0, result.output
        outcomes.append(json.loads(result.output))
        assert [p.name for p in mine.socket.parent.iterdir()] == ["gw.sock"]
    assert docker_sandbox.pool.hits == hits + 1
    assert outcomes == [{"listing": ["gw.sock"], "write": "Read-only file system", "status": 200}] * 2


def test_warm_containers_carry_the_owner_labels_and_a_reaped_one_costs_a_cold_start(
    docker_sandbox: DockerSandbox, tmp_path: Path
) -> None:
    run = {"mounts": {"repo": tmp_path}, "cwd": "{repo}", "env": {}, "timeout": 30}
    docker_sandbox.run(["true"], **run)
    hits = _ready(docker_sandbox, 2)
    assert len(_mine(docker_sandbox.client)) >= 2, "the warm containers are not labelled with their owner"
    # what the reaper does to a killed gitdgm's containers, done to this live one's
    remove_orphans(docker_sandbox.client, lambda name: name == owner.running().name)
    assert _mine(docker_sandbox.client) == []
    result = docker_sandbox.run(["sh", "-c", "echo ok > out"], **run)
    assert result.exit_code == 0 and (tmp_path / "out").read_text() == "ok\n"
    assert docker_sandbox.pool.hits == hits  # the dead one was not taken


def test_a_folder_on_another_filesystem_runs_cold(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem here")
    docker_sandbox.run(["true"], mounts={"repo": tmp_path}, cwd="{repo}", env={}, timeout=30)
    hits = _ready(docker_sandbox)
    away = Path(tempfile.mkdtemp(dir=other))
    try:
        result = docker_sandbox.run(["sh", "-c", "echo ok > out"], mounts={"repo": away}, cwd="{repo}", env={},
                                    timeout=30)
        assert result.exit_code == 0 and (away / "out").read_text() == "ok\n"
    finally:
        shutil.rmtree(away)
    assert docker_sandbox.pool.hits == hits


def test_close_removes_every_container_and_home(docker_available: None, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the warm containers' homes go
    repo = Path(tempfile.mkdtemp(prefix="repo-"))
    sandbox = DockerSandbox(cpus=1.0, memory="256m", pids_limit=64)
    sandbox.run(["true"], mounts={"repo": repo}, cwd="{repo}", env={}, timeout=30)
    _ready(sandbox, 2)
    assert len(_mine(sandbox.client)) == 2 and len(list(tmp_path.glob("gitdgm-warm-*"))) == 2
    sandbox.close()
    assert _mine(sandbox.client) == [] and list(tmp_path.glob("gitdgm-warm-*")) == []
    result = sandbox.run(["true"], mounts={"repo": repo}, cwd="{repo}", env={}, timeout=30)  # cold from now on
    assert result.exit_code == 0 and sandbox.pool.idle() == 0
    sandbox.pool.drain()
    assert _mine(sandbox.client) == []


def test_no_warm_containers_when_warm_is_0(docker_available: None, tmp_path: Path) -> None:
    sandbox = DockerSandbox(cpus=1.0, memory="256m", pids_limit=64, warm=0)
    for _ in range(2):
        assert sandbox.run(["true"], mounts={"repo": tmp_path}, cwd="{repo}", env={}, timeout=30).exit_code == 0
    assert sandbox.pool.hits == 0 and sandbox.pool.idle() == 0
    sandbox.pool.drain()
    assert _mine(sandbox.client) == []


def test_a_launcher_that_cannot_start_costs_only_cold_runs(docker_available: None, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    monkeypatch.setattr(warm, "LAUNCHER", "import os; os._exit(3)")  # as in an image whose python3 cannot run it
    sandbox = DockerSandbox(cpus=1.0, memory="256m", pids_limit=64)
    deadline = time.monotonic() + 60
    while not sandbox.pool.disabled:
        assert time.monotonic() < deadline, "warm containers were not given up"
        assert sandbox.run(["true"], mounts={"repo": tmp_path}, cwd="{repo}", env={}, timeout=30).exit_code == 0
    assert sandbox.pool.hits == 0 and "no warm containers" in caplog.text
    sandbox.close()
    assert _mine(sandbox.client) == []


def test_a_claim_ending_after_warm_runs_leaves_no_folder(docker_sandbox: DockerSandbox, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A step's temporary folders (warm containers' homes included) go with its claim, even with containers being
    made and removed in the background as it ends; the containers made for it are not used after it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with owner.claim("0123abcd"):
        repo = Path(tempfile.mkdtemp())
        run = {"mounts": {"repo": repo}, "cwd": "{repo}", "env": {}, "timeout": 30}
        docker_sandbox.run(["true"], **run)
        hits = _ready(docker_sandbox)
        docker_sandbox.run(["true"], **run)  # ends as the claim does: its removal, and a new one's making, under way
        assert docker_sandbox.pool.hits == hits + 1
    assert os.listdir(tmp_path) == []
    again = {**run, "mounts": {"repo": Path(tempfile.mkdtemp())}}
    assert docker_sandbox.run(["sh", "-c", "echo ok > out"], **again).exit_code == 0
    assert (again["mounts"]["repo"] / "out").read_text() == "ok\n" and docker_sandbox.pool.hits == hits + 1
