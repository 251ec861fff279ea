"""The process backend: a plain subprocess with time, output and process-count limits. It does not isolate."""

from __future__ import annotations

import itertools
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from gitdgm.errors import SandboxError
from gitdgm.sandbox import owner, pids, procs
from gitdgm.sandbox.base import OutputCap, RunResult, check_run_args, resolve
from gitdgm.sandbox.scratch import scratch_dir

log = logging.getLogger("gitdgm.sandbox")
_warned = False
_runs = itertools.count()


def agent_path() -> str:
    """PATH for a run: this machine's, with the folder of the Python that runs gitdgm first when ``python3`` would
    otherwise be another one (gitdgm in a venv that is not activated, pipx): the packages installed with gitdgm
    (openai for the seed agent, pytest for checks and grading) are then the ones a run's ``python3`` has."""
    path = os.environ.get("PATH", os.defpath)
    own = Path(sys.executable).parent
    found = shutil.which("python3", path=path)
    if (own / "python3").exists() and (found is None or Path(found).resolve() != Path(sys.executable).resolve()):
        return f"{own}{os.pathsep}{path}"
    return path


class ProcessSandbox:
    """Runs commands as the calling user on the host; ``{name}`` placeholders are the host paths."""

    name = "process"
    isolates = False

    def __init__(self, *, pids_limit: int = 256, quiet: bool = False) -> None:
        global _warned
        self.pids_limit = pids_limit
        if not (_warned or quiet):
            _warned = True
            log.warning("process sandbox: agent code runs on this machine with your permissions; it does not isolate")

    @property
    def contains_forks(self) -> bool:
        """True when a fork bomb is bounded here (a pids cgroup, or RLIMIT_NPROC for a non-root user)."""
        return os.geteuid() != 0 or pids.cgroup_root() is not None

    def path(self, name: str) -> str:
        return "{" + name + "}"

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
        paths = {name: str(Path(host).resolve()) for name, host in mounts.items()}
        if socket is not None:
            paths["socket"] = str(socket)
        argv, workdir, extra = resolve(command, cwd, env, paths)
        if not Path(workdir).is_dir():
            raise SandboxError(f"sandbox cwd {workdir} is not a directory")
        marker = f"{owner.running().name}/{next(_runs)}"  # how this run's processes are found again (procs.py)
        with scratch_dir("run-") as home:  # in the owner folder (owner.py); short, for sockets the run makes
            base = {"PATH": agent_path(), "HOME": str(home), "TMPDIR": str(home), "LANG": "C.UTF-8"}
            return self._run(argv, workdir, base | extra | {procs.MARKER: marker}, timeout, output_limit)

    def _run(self, argv: list[str], cwd: str, env: dict[str, str], timeout: float, limit: int) -> RunResult:
        start = time.monotonic()
        group = pids.open_group(self.pids_limit)
        nproc = None if group or os.geteuid() == 0 else pids.nproc_limit(self.pids_limit)

        def in_child() -> None:
            if group is not None:
                group.join()
            if nproc is not None:
                pids.set_nproc(nproc)

        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=in_child,
            )
        except (FileNotFoundError, PermissionError) as error:
            if group is not None:
                group.remove()
            return RunResult(127, False, f"{argv[0]}: {error.strerror}\n", False, time.monotonic() - start)
        cap = OutputCap(limit)
        assert proc.stdout is not None
        try:
            timed_out = _pump(proc, cap, start + timeout)
        finally:
            _end(proc, group, env[procs.MARKER])
        _drain(proc.stdout.fileno(), cap)
        proc.stdout.close()
        code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
        if timed_out or cap.exceeded:
            code = 128 + signal.SIGKILL
        return RunResult(code, timed_out, cap.text(), cap.truncated, time.monotonic() - start, cap.exceeded)


def _pump(proc: subprocess.Popen[bytes], cap: OutputCap, deadline: float) -> bool:
    """Read output until the leader exits or the hard cap is passed; True when the deadline came first.

    The run ends when the leader exits, even if children it left behind still hold the output open.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pidfd = os.pidfd_open(proc.pid)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            selector.register(pidfd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return proc.poll() is None
                ready = {key.fd for key, _ in selector.select(remaining)}
                if fd in ready:
                    data = os.read(fd, 1 << 16)
                    if not cap.add(data):
                        return False
                    if not data:
                        selector.unregister(fd)
                if pidfd in ready:
                    return False
    finally:
        os.close(pidfd)


def _drain(fd: int, cap: OutputCap) -> None:
    """Read what the (now dead) session left in the pipe."""
    while not cap.exceeded and (data := os.read(fd, 1 << 16)):
        cap.add(data)


def _end(proc: subprocess.Popen[bytes], group: pids.PidsGroup | None, marker: str) -> None:
    """Kill the whole session (and cgroup), reap the leader, close the pipe: nothing is left running.

    Without a cgroup, a process that left the session (``setsid``) is found by the run's marker."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if group is not None:
        group.remove()
    proc.wait()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # forks that raced the first kill
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        if not pids.group_alive(proc.pid):
            break
        time.sleep(0.005)
    if group is None:
        procs.end_marked(marker.__eq__)
