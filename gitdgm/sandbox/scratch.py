"""Temporary folders that a sandboxed run wrote into, and their removal whatever the run left there.

An agent can leave a tree ``shutil.rmtree`` cannot remove (in Python 3.11 it recurses once per level, so 1,100
nested folders raise RecursionError; ``chmod 000`` folders refuse a non-root owner) and links that a careless
remover would follow out of the folder. ``remove_tree`` holds two descriptors at most, however deep the tree,
never follows a link, and makes each folder writable before it empties it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh private folder under the temporary folder, removed with ``remove_tree`` on the way out.

    While a step or an eval runs, the temporary folder is its owner folder (``owner.claim``), so a kill leaves
    the folder where the next step's reaper finds it."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """Delete ``path`` and everything below it, without following a link, however deep or locked it is."""
    try:
        fd = os.open(path, _DIR_FLAGS)
    except FileNotFoundError:
        return
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        os.unlink(path)  # a link or a file where a folder was: removed, not followed
        return
    names: list[str] = []  # the folders below ``path`` that ``fd`` is in, outermost first
    try:
        folders = [_empty_files(fd)]  # per level: the sub-folders still to remove
        while True:
            if folders[-1]:
                child = folders[-1].pop()
                deeper = _open_dir(fd, child)
                os.close(fd)
                fd = deeper
                names.append(child)
                folders.append(_empty_files(fd))
                continue
            folders.pop()
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS & ~os.O_NOFOLLOW, dir_fd=fd)  # ".." is never a link
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(path)


def _empty_files(fd: int) -> list[str]:
    """Unlink every non-folder in the folder ``fd``; return the sub-folders left in it."""
    os.fchmod(fd, stat.S_IRWXU)
    with os.scandir(fd) as listing:
        entries = list(listing)
    folders = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            folders.append(entry.name)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.name, dir_fd=fd)
    return folders


def _open_dir(fd: int, name: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    except PermissionError:  # a folder the agent made unreadable (listed as a folder, and the agent is gone)
        os.chmod(name, stat.S_IRWXU, dir_fd=fd)
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
