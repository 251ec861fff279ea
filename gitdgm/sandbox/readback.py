"""Reading what a sandboxed run left behind, as hostile input (THREATS.md).

Every path below a sandbox's folders is the agent's to shape: a file may be a link to ``/proc/self/environ``, a
FIFO that blocks forever, a device, or 2 GB. So nothing here follows a link (every component is opened
relative to its parent with ``O_NOFOLLOW``), only regular files are read, every read is capped, and a directory
walk stops at a file-count and byte cap before it reads anything.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gitdgm.errors import GitdgmError

_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


class Untrusted(GitdgmError):
    """What a sandbox left cannot be taken: a link or special file where a file was expected, or over a cap.

    Raised for the agent's doing; callers record it as that agent's failure, never as gitdgm's."""


def read_capped(root: Path, rel: str, limit: int, *, tail: bool = False) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the regular file ``root/rel`` (its last ones with ``tail``) and whether it was
    cut. ``root`` is a folder gitdgm made; ``rel`` is below it, in the sandbox's reach.

    Raises Untrusted for a link (at any component of ``rel``), a special file or an unreadable one;
    FileNotFoundError when it does not exist."""
    fd = _open_beneath(root, rel, _FILE_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Untrusted(f"{rel} is not a regular file")
        if tail and info.st_size > limit:
            os.lseek(fd, info.st_size - limit, os.SEEK_SET)
        data = _read_up_to(fd, limit + 1)
    finally:
        os.close(fd)
    cut = len(data) > limit or (tail and info.st_size > limit)
    return data[:limit], cut


def read_text(root: Path, rel: str, limit: int, *, tail: bool = False) -> str:
    """``read_capped`` as text, with a mark where it was cut; "" when the file is missing or cannot be taken."""
    try:
        data, cut = read_capped(root, rel, limit, tail=tail)
    except (FileNotFoundError, NotADirectoryError):
        return ""
    except Untrusted as why:
        return f"[gitdgm: {rel} was not read: {why}]"
    text = data.decode("utf-8", errors="replace")
    if not cut:
        return text
    return f"[gitdgm: cut, the first part is not shown]\n{text}" if tail else f"{text}\n[gitdgm: cut here]"


def read_head_and_tail(root: Path, rel: str, limit: int) -> str:
    """``read_text`` that keeps a cut file's first quarter and last three quarters, with a mark between them:
    how a run started matters to its diagnosis as much as how it ended."""
    whole = read_text(root, rel, limit)
    if not whole.endswith("\n[gitdgm: cut here]"):
        return whole
    head = whole[: limit // 4]
    tail = read_text(root, rel, limit - limit // 4, tail=True)
    tail = tail.removeprefix("[gitdgm: cut, the first part is not shown]\n")
    return f"{head}\n[... gitdgm: the middle of {rel} was cut ...]\n{tail}"


@dataclass(frozen=True)
class Entry:
    """One file or link found by ``walk``: ``key`` changes whenever the file's content may have changed."""

    path: str  # relative, with "/"
    mode: int  # stat mode
    size: int
    key: tuple[int, int, int, int]  # (inode, size, mtime_ns, ctime_ns): ctime cannot be set back by a process


@dataclass(frozen=True)
class Limits:
    """Caps on a repository that comes back from a sandbox."""

    max_files: int = 50_000
    max_bytes: int = 256 * 1024 * 1024
    max_depth: int = 128  # nested folders; a walk holds one open descriptor per level


class TooLarge(Untrusted):
    pass


def walk(root: Path, limits: Limits, skip: frozenset[str] = frozenset()) -> tuple[list[Entry], list[str]]:
    """Regular files and links below ``root`` (``skip``: names left out wherever they are, folder or file),
    without following a link and without reading a byte; plus what is left out: special files (FIFOs, sockets,
    devices) and names that are not UTF-8.

    One folder per level is held open, so a wide tree costs no descriptors and a deep one is refused at
    ``limits.max_depth``. Raises TooLarge as soon as a count, the sum of sizes or the depth passes ``limits``."""
    entries: list[Entry] = []
    special: list[str] = []
    total = 0
    frames: list[tuple[int, str, list[str]]] = []  # an open folder, its path with "/", sub-folders left to walk

    def enter(fd: int, prefix: str) -> None:
        nonlocal total
        folders: list[str] = []
        frames.append((fd, prefix, folders))
        if prefix.count("/") > limits.max_depth:
            raise TooLarge(f"folders nested deeper than {limits.max_depth} ({prefix[:80]}...)")
        for name in sorted(os.listdir(fd), reverse=True):
            if name in skip:
                continue
            rel = prefix + name
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(info.st_mode):
                folders.append(name)
                continue
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)) or not _utf8(rel):
                special.append(rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                continue
            total += info.st_size
            entries.append(
                Entry(rel, info.st_mode, info.st_size, (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
            )
            if len(entries) > limits.max_files:
                raise TooLarge(f"more than {limits.max_files} files (sandbox.max_repo_files)")
            if total > limits.max_bytes:
                raise TooLarge(f"more than {limits.max_bytes // 2**20} MiB (sandbox.max_repo_mb)")

    try:
        enter(_open_beneath(root.parent, root.name, _DIR_FLAGS), "")
        while frames:
            fd, prefix, folders = frames[-1]
            if not folders:
                os.close(frames.pop()[0])
                continue
            name = folders.pop()
            try:
                child = _open_child(fd, name, prefix + name)
            except FileNotFoundError:
                continue
            enter(child, prefix + name + "/")
    finally:
        for fd, _, _ in frames:
            os.close(fd)
    return entries, special


def read_entry(root: Path, entry: Entry) -> bytes:
    """The content of a walked file (a link's target, for a link), refusing it if it changed since the walk."""
    parent, _, name = entry.path.rpartition("/")
    directory = _open_beneath(root.parent, f"{root.name}/{parent}".rstrip("/"), _DIR_FLAGS)
    try:
        if stat.S_ISLNK(entry.mode):
            return os.readlink(name, dir_fd=directory).encode("utf-8", "surrogateescape")
        fd = os.open(name, _FILE_FLAGS, dir_fd=directory)
    finally:
        os.close(directory)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_ino != entry.key[0]:
            raise Untrusted(f"{entry.path} was replaced while it was being read")
        data = _read_up_to(fd, entry.size + 1)
    finally:
        os.close(fd)
    if len(data) != entry.size:
        raise Untrusted(f"{entry.path} changed size while it was being read")
    return data


def _open_beneath(base: Path, rel: str, flags: int) -> int:
    """Open ``base/rel`` one component at a time, refusing a link at any component below ``base``."""
    fd = os.open(base, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        parts = [p for p in rel.split("/") if p]
        for i, part in enumerate(parts):
            if part in (".", ".."):
                raise Untrusted(f"path {rel!r} leaves its folder")
            nxt = _open_child(fd, part, "/".join(parts[: i + 1]), flags if i == len(parts) - 1 else _DIR_FLAGS)
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def _open_child(fd: int, name: str, rel: str, flags: int = _DIR_FLAGS) -> int:
    """Open ``name`` in the folder ``fd`` without following a link; Untrusted when the agent made that fail."""
    try:
        return os.open(name, flags, dir_fd=fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Untrusted(f"{rel} is a link or not a folder") from None
        if error.errno in (errno.EACCES, errno.EPERM):
            raise Untrusted(f"{rel} cannot be read") from None
        raise


def _utf8(name: str) -> bool:
    """Names that are not UTF-8 cannot be stored in a git tree (nor shown): such files are left out."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks, left = [], limit
    while left > 0:
        data = os.read(fd, min(left, 1 << 20))
        if not data:
            break
        chunks.append(data)
        left -= len(data)
    return b"".join(chunks)
