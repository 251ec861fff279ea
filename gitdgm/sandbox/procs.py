"""Sandbox processes on this host, found through /proc and ended without touching an unrelated process.

A process sandbox run carries ``GITDGM_OWNER=<owner>/<run>`` in its environment, and every process it starts
inherits it. A process that scrubs its environment is still found while it stays in a session that a marked
process is in: Linux never gives a pid number to a new process while it is still some process's session id, so
a session id shared with a live marked process is the sandbox's own. A pid alone is never a reason to kill.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MARKER = "GITDGM_OWNER"
_ENVIRON_CAP = 8 << 20  # bytes of /proc/<pid>/environ read (the kernel bounds it by ARG_MAX)


@dataclass(frozen=True)
class ProcStat:
    pid: int
    state: str  # one letter; Z: a zombie (exited, not yet reaped)
    sid: int
    start: int  # clock ticks after boot: with the pid, names one process for the life of the machine


def read_stat(pid: int) -> ProcStat | None:
    """The process's state, session and start time, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        return ProcStat(pid, fields[0].decode(), int(fields[3]), int(fields[19]))
    except (OSError, IndexError, ValueError):
        return None


def read_marker(pid: int) -> str | None:
    """The ``GITDGM_OWNER`` value the process was started with, or None (none, or not ours to read)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            data = f.read(_ENVIRON_CAP)
    except OSError:
        return None
    prefix = MARKER.encode() + b"="
    for entry in data.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode(errors="replace")
    return None


def _scan() -> Iterator[tuple[ProcStat, str | None]]:
    """Every live (not zombie) process with its marker."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (proc := read_stat(int(entry.name))) and proc.state != "Z":
            yield proc, read_marker(proc.pid)


def end_marked(match: Callable[[str], bool], within: float = 2.0) -> int:
    """SIGKILL every process whose marker ``match``es, and the rest of its session, until none is left (forks
    that race a kill are caught by the next round); this process and its session are never targets.
    Returns how many processes were killed."""
    spared_pid, spared_sid = os.getpid(), os.getsid(0)
    killed: set[tuple[int, int]] = set()
    deadline = time.monotonic() + within
    while True:
        found = list(_scan())
        sessions = {proc.sid for proc, marker in found if marker is not None and match(marker)}
        sessions -= {0, spared_sid}
        targets = [
            proc
            for proc, marker in found
            if proc.pid != spared_pid
            and proc.sid != spared_sid
            and (proc.sid in sessions or (marker is not None and match(marker)))
        ]
        if not targets or time.monotonic() > deadline:
            return len(killed)
        killed.update((proc.pid, proc.start) for proc in targets if kill(proc))
        time.sleep(0.01)


def kill(proc: ProcStat) -> bool:
    """SIGKILL ``proc`` if it is still the process that was scanned (not a newcomer that reused its pid)."""
    try:
        handle = os.pidfd_open(proc.pid)
    except OSError:
        return False
    try:
        now = read_stat(proc.pid)  # the handle holds the process: a start time read now is its own
        if now is None or now.start != proc.start:
            return False
        signal.pidfd_send_signal(handle, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False
    finally:
        os.close(handle)
