"""The docker backend: one throwaway container per run, no network, limits on CPU, memory, pids, time, output.

All use of the docker SDK lives here (and in image.py for building). Output is read by attaching to the
container with the log driver off, so a run that prints gigabytes fills no log file: past the hard cap the
reader kills the container. A run takes a warm container (made and started ahead, warm.py) where one of its
shape is ready, else starts its own; either is removed in the background once it has stopped."""

from __future__ import annotations

import functools
import json
import os
import select
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.types import LogConfig, Mount
from docker.utils.socket import STDOUT, frames_iter, next_frame_header, read_exactly

from gitdgm.errors import SandboxError
from gitdgm.sandbox import owner, warm
from gitdgm.sandbox.base import OutputCap, RunResult, check_run_args, resolve
from gitdgm.sandbox.scratch import remove_tree
from gitdgm.sandbox.warm import Lending, NotEligible, Shape, Staged, WarmPool

DEFAULT_IMAGE = "gitdgm-sandbox:latest"
LABEL = "gitdgm.sandbox"
OWNER_LABEL, ARCHIVE_LABEL = "gitdgm.owner", "gitdgm.archive"  # who started it (owner.py), for the reaper
MOUNT_ROOT = "/gitdgm"
_SOCKET_DIR = f"{MOUNT_ROOT}/.gateway"


@dataclass(frozen=True)
class DockerStatus:
    """What ``auto`` and ``gitdgm sandbox check`` learn about docker."""

    daemon: bool
    image: str
    image_present: bool
    reason: str

    @property
    def usable(self) -> bool:
        return self.daemon and self.image_present


def connect(timeout: float = 30) -> docker.DockerClient:
    """A client whose daemon has answered a ping, or a SandboxError saying why not."""
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, requests.RequestException) as error:
        raise SandboxError(f"no Docker daemon answers: {str(error).splitlines()[0][:200]}") from None
    return client


def probe(image: str | None = None) -> DockerStatus:
    image = image or DEFAULT_IMAGE
    try:
        client = connect(timeout=5)
    except SandboxError as error:
        return DockerStatus(False, image, False, str(error))
    try:
        client.images.get(image)
    except ImageNotFound:
        return DockerStatus(True, image, False, f"image {image} is missing: run `gitdgm sandbox build`")
    return DockerStatus(True, image, True, f"daemon answers and image {image} is present")


def leftover_containers(client: docker.DockerClient) -> list[str]:
    """Names of gitdgm sandbox containers that still exist once this process's sandboxes are drained (none should)."""
    for pool in list(_LIVE):
        pool.drain()
    return [c["Names"][0].lstrip("/") for c in client.api.containers(all=True, filters={"label": f"{LABEL}=1"})]


def remove_orphans(client: docker.DockerClient, gone: Callable[[str], bool]) -> int:
    """Remove the sandbox containers whose owner is ``gone`` (a killed gitdgm leaves them running); returns how
    many. Containers without an owner label (an older gitdgm's) are left alone."""
    try:
        found = client.api.containers(all=True, filters={"label": f"{LABEL}=1"})  # as listed: none inspected, gone
        return sum(_remove(client, c["Id"]) for c in found if gone((c["Labels"] or {}).get(OWNER_LABEL, "")))
    except (APIError, requests.RequestException) as error:
        raise SandboxError(f"docker: {str(error).splitlines()[0][:300]}") from None


def _remove(client: docker.DockerClient, name: str) -> bool:
    """Force-remove a container; False when it is already gone or being removed (by its run, or a reaper)."""
    try:
        client.api.remove_container(name, force=True)
        return True
    except NotFound:
        return False
    except APIError as error:
        if error.status_code != 409:  # 409: removal already in progress
            raise
        return False


class DockerSandbox:
    """Runs each command in a fresh container of ``image`` as the calling uid:gid; mounts are at /gitdgm/<name>.
    ``warm``: at most this many idle warm containers per shape (0: none; warm.py); ``close`` removes them."""

    name = "docker"
    isolates = True

    def __init__(
        self,
        *,
        image: str = DEFAULT_IMAGE,
        cpus: float = 1.0,
        memory: str = "2g",
        pids_limit: int = 256,
        tmp_size: str = "512m",
        warm: int = 4,
    ) -> None:
        if cpus <= 0 or pids_limit <= 0:
            raise SandboxError(f"docker sandbox: cpus ({cpus}) and pids_limit ({pids_limit}) must be positive")
        self.client = connect()
        try:
            self.client.images.get(image)
        except ImageNotFound:
            raise SandboxError(f"sandbox image {image} is missing: run `gitdgm sandbox build`") from None
        self.image, self.cpus, self.memory, self.pids_limit, self.tmp_size = image, cpus, memory, pids_limit, tmp_size
        # No reference from the pool to the sandbox: one dropped unclosed is closed when collected (or at exit).
        ref = weakref.WeakMethod(self._prepare)
        self.pool: WarmPool[_Warm] = WarmPool(
            lambda shape: (ref() or _gone)(shape), functools.partial(_dispose, self.client), _alive, warm
        )
        weakref.finalize(self, self.client.close)
        weakref.finalize(self, self.pool.close)  # (runs first)
        self._lending = Lending()
        _LIVE.add(self.pool)

    def path(self, name: str) -> str:
        return f"{MOUNT_ROOT}/{name}"

    def close(self) -> None:
        """Remove every container this sandbox made; later runs each start their own."""
        self.pool.close()

    def run(
        self,
        command: Sequence[str],
        *,
        mounts: Mapping[str, Path],
        cwd: str,
        env: Mapping[str, str],
        timeout: float,
        socket: Path | None = None,
        output_limit: int = 1_000_000,
        read_only: Collection[str] = (),
    ) -> RunResult:
        check_run_args(mounts, timeout, output_limit)
        start = time.monotonic()
        sources = {name: Path(host).resolve() for name, host in mounts.items()}
        paths = {name: self.path(name) for name in mounts}
        binds = [Mount(self.path(n), str(host), type="bind", read_only=n in read_only) for n, host in sources.items()]
        socket_file = None
        if socket is not None:
            # The run's own socket folder, read-only: connect() needs no write access, and the agent cannot plant files.
            socket_file = Path(socket).resolve().parent / Path(socket).name
            binds.append(Mount(_SOCKET_DIR, str(socket_file.parent), type="bind", read_only=True))
            paths["socket"] = f"{_SOCKET_DIR}/{socket_file.name}"
        argv, workdir, extra = resolve(command, cwd, env, paths)
        env = {"HOME": "/tmp", "LANG": "C.UTF-8"} | extra
        folders = [(str(host), name not in read_only) for name, host in sources.items()]
        # Warm where a cold run's working folder exists too (docker makes a missing one, even outside the mounts).
        hot = workdir == "/" or any(workdir == p or workdir.startswith(f"{p}/") for p in ["/tmp", *paths.values()])
        try:
            with self._lending.hold(folders, hot and self.pool.size > 0) as hot:
                mine = tuple(sorted((name, name in read_only) for name in mounts))
                shape = Shape(mine, socket is not None, owner.running().name)
                done = self._try_warm(shape, sources, read_only, socket_file, argv, workdir, env, start + timeout,
                                      output_limit) if hot else None  # fmt: skip
                return done or self._run_cold(argv, workdir, env, binds, start + timeout, output_limit)
        except (APIError, requests.RequestException) as error:
            raise SandboxError(f"docker sandbox: {str(error).splitlines()[0][:300]}") from None

    def _config(self, argv: list[str], cwd: str, env: dict[str, str], binds: list[Mount]) -> dict[str, Any]:
        """What every sandbox container is made with: the limits, the labels, no network, no privileges."""
        owner.mark_docker()
        who = owner.running()
        return dict(
            image=self.image,
            command=argv,
            name=f"gitdgm-{uuid.uuid4().hex[:12]}",
            labels={LABEL: "1", OWNER_LABEL: who.name, ARCHIVE_LABEL: who.key},
            working_dir=cwd,
            environment=env,
            user=f"{os.getuid()}:{os.getgid()}",
            network_mode="none",
            mounts=binds,
            nano_cpus=int(self.cpus * 1e9),
            mem_limit=self.memory,
            memswap_limit=self.memory,
            pids_limit=self.pids_limit,
            log_config=LogConfig(type="none"),
            read_only=True,
            tmpfs={"/tmp": f"size={self.tmp_size},mode=1777,exec"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            detach=True,
        )

    def _run_cold(
        self, argv: list[str], cwd: str, env: dict[str, str], binds: list[Mount], deadline: float, output_limit: int
    ) -> RunResult:
        start = time.monotonic()
        config = self._config(argv, cwd, env, binds)
        stopped = False
        try:
            container = self.client.containers.create(**config)
            stream = self.client.api.attach_socket(container.id, params={"stdout": 1, "stderr": 1, "stream": 1})
            cap = OutputCap(output_limit)
            reader = threading.Thread(target=_read, args=(stream, cap, container), daemon=True)
            reader.start()
            try:
                container.start()
            except APIError as error:  # the entry is not in the image, or cannot be executed
                _close(stream)
                return RunResult(127, False, f"{argv[0]}: {error.explanation}\n", False, time.monotonic() - start)
            result = self._collect(container, stream, reader, cap, deadline, start)
            stopped = True
            return result
        finally:
            if stopped:
                self.pool.later(functools.partial(_remove, self.client, config["name"]))
            else:
                _remove(self.client, config["name"])

    def _try_warm(
        self, shape: Shape, sources: dict[str, Path], read_only: Collection[str], socket: Path | None,
        argv: list[str], cwd: str, env: dict[str, str], deadline: float, limit: int,
    ) -> RunResult | None:  # fmt: skip
        """The run in a warm container of ``shape``; None (nothing of it ran) when none is ready, the run's folders
        cannot be staged, or the container's launcher is gone."""
        with self.pool.lease(shape) as ready:
            if ready is None:
                return None
            sent, stopped, staged = False, False, Staged()
            try:
                warm.stage(staged, ready.home, ready.slots, sources, read_only, socket)
                sent = True  # from here on it may run the command: it is removed before the folders go back
                try:
                    ready.sock._sock.sendall(json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode() + b"\n")
                except OSError:  # its launcher is gone, having run nothing
                    return None
                self.pool.hits += 1
                cap = OutputCap(limit)
                reader = threading.Thread(target=_read, args=(ready.sock, cap, ready.container), daemon=True)
                reader.start()
                result = self._collect(ready.container, ready.sock, reader, cap, deadline, time.monotonic())
                stopped = True
                return result
            except NotEligible:
                return None
            finally:
                try:
                    if sent and not stopped:
                        _remove(self.client, ready.name)  # before the run's folders are given back
                    staged.restore()
                finally:
                    self.pool.later(functools.partial(_dispose, self.client, ready))

    def _collect(
        self, container: Container, stream: Any, reader: threading.Thread, cap: OutputCap, deadline: float, start: float
    ) -> RunResult:
        """Wait for the container's exit (killing it at the deadline); returns once it has stopped."""
        try:
            code, timed_out = _wait(container, deadline), False
        except TimeoutError:
            code, timed_out = 137, True
            _kill(container)
            try:
                _wait(container, time.monotonic() + 10)  # stopped before the run's folders are read
            except TimeoutError:
                _remove(self.client, container.name)
        except BaseException:  # KeyboardInterrupt included: the caller removes the container, ending the reader
            _close(stream)
            raise
        reader.join(timeout=2)
        _close(stream)
        output = cap.text()
        if code == 137 and not (timed_out or cap.exceeded) and _oom_killed(container):
            output += f"\ngitdgm sandbox: killed: out of memory (limit {self.memory})\n"
        return RunResult(code, timed_out, output, cap.truncated, time.monotonic() - start, cap.exceeded)

    def _prepare(self, shape: Shape) -> _Warm:
        """A started container of ``shape`` whose launcher waits for a command (in the background thread)."""
        home, slots = warm.make_home(shape)
        binds = [Mount(self.path(name), str(slots[name]), type="bind", read_only=ro) for name, ro in shape.mounts]
        if shape.socket:
            binds.append(Mount(_SOCKET_DIR, str(slots[warm.SOCKET_SLOT]), type="bind", read_only=True))
        config = self._config(
            ["python3", "-I", "-S", "-c", warm.LAUNCHER], "/", {"HOME": "/tmp", "LANG": "C.UTF-8"}, binds
        )
        made = _Warm(config["name"], None, None, home, slots)
        try:
            made.container = self.client.containers.create(stdin_open=True, **config)
            params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            made.sock = self.client.api.attach_socket(made.container.id, params=params)
            made.container.start()
            _await_ready(made.sock, time.monotonic() + 30)
        except BaseException:
            _dispose(self.client, made)
            raise
        return made


def _dispose(client: docker.DockerClient, made: _Warm) -> None:
    if made.sock is not None:
        _close(made.sock)
    _remove(client, made.name)
    with owner._lock:  # not while a claim ending removes the folder it is in (warm.make_home)
        remove_tree(made.home)


def _close(stream: Any) -> None:
    """Close an attached stream and its socket now (the HTTP response keeping it would wait for a collection)."""
    raw = getattr(stream, "_sock", None)  # SocketIO.close() forgets it
    stream.close()
    if raw is not None:
        raw.close()


def _gone(shape: Shape) -> _Warm:
    raise NotEligible("the sandbox is gone")


@dataclass
class _Warm:
    name: str
    container: Any  # docker.models.containers.Container, once made
    sock: Any  # the attached stdin/stdout/stderr stream
    home: Path
    slots: dict[str, Path]


def _alive(made: _Warm) -> bool:  # its launcher waits, silent until it has a command (readable: it ended)
    return made.home.is_dir() and not select.select([made.sock], [], [], 0)[0]  # (a claim's end removes homes)


def _await_ready(sock: Any, deadline: float) -> None:
    """Read the launcher's ready line (one stdout frame), or raise."""
    if not select.select([sock], [], [], max(deadline - time.monotonic(), 0))[0]:
        raise SandboxError("warm container: no ready line in time")
    kind, size = next_frame_header(sock)
    if (kind, read_exactly(sock, size) if size > 0 else b"") != (STDOUT, warm.READY):
        raise SandboxError("warm container: its launcher did not start")


_LIVE: weakref.WeakSet[WarmPool[_Warm]] = weakref.WeakSet()  # pools whose sandbox or threads live, to drain


def _read(stream: object, cap: OutputCap, container: Container) -> None:
    """Collect stdout+stderr frames; past the hard cap, kill the container (reading on, so the daemon's
    copy of the stream never blocks the kill)."""
    killing = None
    try:
        for _, data in frames_iter(stream, tty=False):
            if killing is None and not cap.add(data):
                killing = threading.Thread(target=_kill, args=(container,), daemon=True)
                killing.start()
    except (OSError, ValueError):
        return  # the stream was closed, or the container removed, under us


def _wait(container: Container, deadline: float) -> int:
    """The exit status, or TimeoutError once the deadline has passed."""
    try:
        return int(container.wait(timeout=max(deadline - time.monotonic(), 0.01))["StatusCode"])
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        if time.monotonic() < deadline:
            raise
        raise TimeoutError from None


def _kill(container: Container) -> None:
    try:
        container.kill()
    except APIError:
        pass  # it already exited


def _oom_killed(container: Container) -> bool:
    container.reload()
    return bool(container.attrs.get("State", {}).get("OOMKilled"))
