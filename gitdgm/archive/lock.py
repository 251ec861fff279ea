"""One step at a time per archive: an advisory lock in the git directory, released when the process dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from gitdgm.archive.repository import Archive
from gitdgm.errors import LockedError


@contextlib.contextmanager
def archive_lock(archive: Archive) -> Iterator[None]:
    path = archive.state_dir / "step.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise LockedError(
                f"another gitdgm step (pid {holder}) is working on this archive; wait for it to "
                "finish (the lock is released when it exits)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
