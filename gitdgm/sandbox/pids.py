"""Fork-bomb containment for the process backend: a pids cgroup when root, else RLIMIT_NPROC.

RLIMIT_NPROC counts every task of the real uid and does not bind root, so for root the one real limit is a
pids cgroup (v2 or v1); for other users it is set to the tasks on the machine now plus the allowance.
A group is named ``gitdgm-<owner>-<n>`` (``owner.py``): every task in it is a sandbox process of that owner, since
only root can move a task out, so the group of a killed gitdgm is how the reaper finds all it left running.
"""

from __future__ import annotations

import functools
import itertools
import os
import resource
import time
from pathlib import Path

from gitdgm.sandbox import owner
from gitdgm.sandbox.owner import Owner
from gitdgm.sandbox.procs import kill, read_stat

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
    """One run's pids cgroup: the child joins it before exec; ``remove`` ends every task in it."""

    def __init__(self, root: Path, limit: int) -> None:
        self.path = root / f"gitdgm-{owner.running().name}-{next(_counter)}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(limit))

    def join(self) -> None:
        """Called in the child between fork and exec."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        kill_tasks(self.path)
        try:
            self.path.rmdir()
        except OSError:  # zombies not yet reaped by init keep it busy for a moment
            _stale.append(self.path)


def kill_tasks(group: Path) -> int:
    """SIGKILL every task of ``group`` until none is left (forks racing the kill are caught by the next round);
    returns how many were killed."""
    killed: set[tuple[int, int]] = set()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            listed = (group / "cgroup.procs").read_text().split()
        except FileNotFoundError:
            break
        live = [proc for pid in listed if (proc := read_stat(int(pid))) is not None and proc.state != "Z"]
        if not live:
            break
        killed.update((proc.pid, proc.start) for proc in live if kill(proc))
        time.sleep(0.005)
    return len(killed)


def group_owner(group: Path) -> Owner | None:
    """The owner a group was made for (None: not a gitdgm group of this naming)."""
    name, _, number = group.name.removeprefix("gitdgm-").rpartition("-")
    return Owner.parse(name) if group.name.startswith("gitdgm-") and number.isdigit() else None


def reap_groups() -> int:
    """End every task of the groups whose owner is gone and remove the groups; returns how many tasks were
    killed."""
    root = cgroup_root()
    killed = 0
    for group in root.glob("gitdgm-*") if root else ():
        found = group_owner(group)
        if found is not None and found.gone():
            killed += kill_tasks(group)
            try:
                group.rmdir()
            except OSError:  # zombies not yet reaped by init keep it busy: a later reaper removes it
                pass
    return killed


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
    _reap_once()
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
def _reap_once() -> None:
    """Once per process, before its first group: what gitdgm processes that have exited left (tasks and all)."""
    reap_groups()


def nproc_limit(allowance: int) -> int:
    """RLIMIT_NPROC for a child: all tasks on the machine now (an upper bound of the uid's) plus ``allowance``."""
    with open("/proc/loadavg") as f:
        running_total = f.read().split()[3]
    return int(running_total.split("/")[1]) + allowance


def set_nproc(limit: int) -> None:
    """Called in the child: lower the soft and hard RLIMIT_NPROC (never raise them)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
