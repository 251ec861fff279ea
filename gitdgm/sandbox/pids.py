"""Fork-bomb containment for the process backend: a pids cgroup when root, else RLIMIT_NPROC.

RLIMIT_NPROC counts every task of the real uid and does not bind root, so for root the one real limit is a
pids cgroup (v2 or v1); for other users it is set to the tasks on the machine now plus the allowance.
"""

from __future__ import annotations

import functools
import itertools
import os
import resource
import signal
import time
from pathlib import Path

_V2_ROOT, _V1_ROOT = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/pids")
_counter = itertools.count()
_stale: list[Path] = []  # groups a lingering zombie kept busy; removed by a later run


@functools.cache
def cgroup_root() -> Path | None:
    """A pids cgroup hierarchy (v2 with the pids controller delegated, or v1) this process may write, or None."""
    if os.geteuid() != 0:
        return None
    subtree = _V2_ROOT / "cgroup.subtree_control"
    if subtree.is_file() and "pids" in subtree.read_text().split() and os.access(_V2_ROOT, os.W_OK):
        return _V2_ROOT
    if (_V1_ROOT / "tasks").is_file() and os.access(_V1_ROOT, os.W_OK):
        return _V1_ROOT
    return None


class PidsGroup:
    """One run's pids cgroup: the child joins it before exec; ``kill`` ends every task in it."""

    def __init__(self, root: Path, limit: int) -> None:
        self.path = root / f"gitdgm-{os.getpid()}-{next(_counter)}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(limit))

    def join(self) -> None:
        """Called in the child between fork and exec."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def kill(self) -> None:
        """SIGKILL every task until none is left (forks racing the kill are caught by the next round)."""
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            pids = [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
            live = [pid for pid in pids if _state(pid) not in ("Z", None)]
            if not live:
                return
            for pid in live:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.005)

    def remove(self) -> None:
        self.kill()
        try:
            self.path.rmdir()
        except OSError:  # zombies not yet reaped by init keep it busy for a moment
            _stale.append(self.path)


def _state(pid: int) -> str | None:
    """The one-letter state of a process (Z: zombie), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies do not count)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False


def open_group(limit: int) -> PidsGroup | None:
    root = cgroup_root()
    if root is None:
        return None
    _sweep(root)
    for path in list(_stale):
        try:
            path.rmdir()
            _stale.remove(path)
        except OSError:
            pass
    try:
        return PidsGroup(root, limit)
    except OSError:
        return None


@functools.cache
def _sweep(root: Path) -> None:
    """Once per process: remove groups left by gitdgm processes that have since exited."""
    for path in root.glob("gitdgm-*-*"):
        owner = path.name.split("-")[1]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            try:
                path.rmdir()
            except OSError:
                pass


def nproc_limit(allowance: int) -> int:
    """RLIMIT_NPROC for a child: all tasks on the machine now (an upper bound of the uid's) plus ``allowance``."""
    with open("/proc/loadavg") as f:
        running_total = f.read().split()[3]
    return int(running_total.split("/")[1]) + allowance


def set_nproc(limit: int) -> None:
    """Called in the child: lower the soft and hard RLIMIT_NPROC (never raise them)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
