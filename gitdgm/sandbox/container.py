"""The docker backend: one throwaway container per run, no network, limits on CPU, memory, pids, time, output.

All use of the docker SDK lives here (and in image.py for building). Output is read by attaching to the
container with the log driver off, so a run that prints gigabytes fills no log file: past the hard cap the
reader kills the container.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import LogConfig, Mount
from docker.utils.socket import frames_iter

from gitdgm.errors import SandboxError
from gitdgm.sandbox import owner
from gitdgm.sandbox.base import OutputCap, RunResult, check_run_args, resolve

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
    """Names of gitdgm sandbox containers that still exist (there should be none between runs)."""
    return [c.name for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"})]


def remove_orphans(client: docker.DockerClient, gone: Callable[[str], bool]) -> int:
    """Remove the sandbox containers whose owner is ``gone`` (a killed gitdgm leaves them running); returns how
    many. Containers without an owner label (an older gitdgm's) are left alone."""
    try:
        found = client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
        return sum(_remove(client, c.name) for c in found if gone(c.labels.get(OWNER_LABEL, "")))
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
    """Runs each command in a fresh container of ``image`` as the calling uid:gid; mounts are at /gitdgm/<name>."""

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
    ) -> None:
        if cpus <= 0 or pids_limit <= 0:
            raise SandboxError(f"docker sandbox: cpus ({cpus}) and pids_limit ({pids_limit}) must be positive")
        self.client = connect()
        try:
            self.client.images.get(image)
        except ImageNotFound:
            raise SandboxError(f"sandbox image {image} is missing: run `gitdgm sandbox build`") from None
        self.image, self.cpus, self.memory, self.pids_limit, self.tmp_size = image, cpus, memory, pids_limit, tmp_size

    def path(self, name: str) -> str:
        return f"{MOUNT_ROOT}/{name}"

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
        paths = {name: self.path(name) for name in mounts}
        binds = [
            Mount(self.path(name), str(Path(host).resolve()), type="bind", read_only=name in read_only)
            for name, host in mounts.items()
        ]
        if socket is not None:
            # The run's own socket folder, read-only: connect() needs no write access, and the agent cannot plant files.
            binds.append(Mount(_SOCKET_DIR, str(Path(socket).resolve().parent), type="bind", read_only=True))
            paths["socket"] = f"{_SOCKET_DIR}/{Path(socket).name}"
        argv, workdir, extra = resolve(command, cwd, env, paths)
        name = f"gitdgm-{uuid.uuid4().hex[:12]}"
        start = time.monotonic()
        try:
            return self._run(
                name, argv, workdir, {"HOME": "/tmp", "LANG": "C.UTF-8"} | extra, binds, start + timeout, output_limit
            )
        except (APIError, requests.RequestException) as error:
            raise SandboxError(f"docker sandbox: {str(error).splitlines()[0][:300]}") from None
        finally:
            _remove(self.client, name)

    def _run(
        self,
        name: str,
        argv: list[str],
        cwd: str,
        env: dict[str, str],
        binds: list[Mount],
        deadline: float,
        output_limit: int,
    ) -> RunResult:
        start = time.monotonic()
        owner.mark_docker()
        who = owner.running()
        labels = {LABEL: "1", OWNER_LABEL: who.name, ARCHIVE_LABEL: who.key}
        container = self.client.containers.create(
            self.image,
            argv,
            name=name,
            labels=labels,
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
        cap = OutputCap(output_limit)
        stream = self.client.api.attach_socket(container.id, params={"stdout": 1, "stderr": 1, "stream": 1})
        reader = threading.Thread(target=_read, args=(stream, cap, container), daemon=True)
        reader.start()
        try:
            container.start()
        except APIError as error:  # the entry is not in the image, or cannot be executed
            stream.close()
            return RunResult(127, False, f"{argv[0]}: {error.explanation}\n", False, time.monotonic() - start)
        try:
            code, timed_out = _wait(container, deadline), False
        except TimeoutError:
            code, timed_out = 137, True
            _kill(container)
        except BaseException:  # KeyboardInterrupt included: run() removes the container, ending the reader
            stream.close()
            raise
        reader.join(timeout=2)
        stream.close()
        output = cap.text()
        if code == 137 and not (timed_out or cap.exceeded) and _oom_killed(container):
            output += f"\ngitdgm sandbox: killed: out of memory (limit {self.memory})\n"
        return RunResult(code, timed_out, output, cap.truncated, time.monotonic() - start, cap.exceeded)


def _read(stream: object, cap: OutputCap, container: docker.models.containers.Container) -> None:
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


def _wait(container: docker.models.containers.Container, deadline: float) -> int:
    """The exit status, or TimeoutError once the deadline has passed."""
    try:
        return int(container.wait(timeout=max(deadline - time.monotonic(), 0.01))["StatusCode"])
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        if time.monotonic() < deadline:
            raise
        raise TimeoutError from None


def _kill(container: docker.models.containers.Container) -> None:
    try:
        container.kill()
    except APIError:
        pass  # it already exited


def _oom_killed(container: docker.models.containers.Container) -> bool:
    container.reload()
    return bool(container.attrs.get("State", {}).get("OOMKilled"))
