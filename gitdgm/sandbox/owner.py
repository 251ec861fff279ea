"""Who owns what a run leaves on this machine, so that a later step can tell debris from a live runner's work.

A ``kill -9`` of gitdgm runs no cleanup: its temporary folders stay, and its sandbox processes (in their own
session) and containers keep running. So everything a run makes is named after its owner, a process of this
host: ``<archive key>-<host>-<pid>-<start time>``. The start time (from ``/proc``) tells a reused pid from the
owner; the host hash (boot id and pid namespace) keeps a runner from judging pids it cannot see.

While ``claim(key)`` is held, every temporary folder this process makes (``tempfile`` without ``dir=``, hence
``scratch_dir``) goes into one owner folder, ``$TMPDIR/gitdgm-<uid>/<owner>/``, which a clean exit removes;
process sandboxes mark their runs with ``GITDGM_OWNER=<owner>/<run>``, docker labels its containers with the
owner and the archive key, and pids cgroups are named ``gitdgm-<owner>-<n>``. ``reaper.reap`` ends what
belongs to owners that are gone; the archive key tells a person whose debris it was.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gitdgm.errors import SandboxError
from gitdgm.sandbox.procs import read_stat
from gitdgm.sandbox.scratch import remove_tree

log = logging.getLogger("gitdgm.sandbox")
UNCLAIMED = "none"  # the key of runs made outside any archive's claim (library use, tests)
DOCKER_MARK = "uses-docker"  # a file in the owner folder: its containers must be looked for when it is reaped


@dataclass(frozen=True)
class Owner:
    key: str
    host: str
    pid: int
    start: int

    @property
    def name(self) -> str:
        return f"{self.key}-{self.host}-{self.pid}-{self.start}"

    @classmethod
    def parse(cls, name: str) -> Owner | None:
        parts = name.split("-")
        if len(parts) != 4 or not (parts[2].isdigit() and parts[3].isdigit()):
            return None
        return cls(parts[0], parts[1], int(parts[2]), int(parts[3]))

    def gone(self) -> bool:
        """True when the owner has exited (or its pid was reused); False when alive or not judged from here."""
        if self.host != host():
            return False  # another machine's or pid namespace's process: its pids mean nothing here
        proc = read_stat(self.pid)
        return proc is None or proc.state == "Z" or proc.start != self.start


@dataclass(frozen=True)
class Claim:
    owner: Owner
    root: Path  # $TMPDIR/gitdgm-<uid>
    folder: Path  # root/<owner name>


@functools.cache
def host() -> str:
    """This boot and pid namespace, hashed: owners with another value are never judged from here."""
    parts = []
    for read in (
        lambda: Path("/proc/sys/kernel/random/boot_id").read_text().strip(),
        lambda: os.readlink("/proc/self/ns/pid"),
    ):
        try:
            parts.append(read())
        except OSError:
            parts.append("")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


def archive_key(git_dir: str | Path) -> str:
    """A short name for an archive: its git directory's real path, hashed (short: socket paths are capped)."""
    return hashlib.sha256(os.path.realpath(git_dir).encode()).hexdigest()[:8]


def me(key: str = UNCLAIMED) -> Owner:
    return Owner(key, host(), os.getpid(), _start_of(os.getpid()))


@functools.cache
def _start_of(pid: int) -> int:
    proc = read_stat(pid)
    assert proc is not None, "this process has no /proc entry"
    return proc.start


_lock = threading.Lock()
_claims: list[Claim] = []  # innermost last; a claim held twice (nested, same archive) is listed twice
_tempdir_before: str | None = None  # tempfile.tempdir as it was before the first claim


def current() -> Claim | None:
    with _lock:
        return _claims[-1] if _claims else None


def running() -> Owner:
    """The owner that this process's runs carry now (key ``none`` outside a claim)."""
    claim = current()
    return claim.owner if claim else me()


def mark_docker() -> None:
    """Record in the owner folder that this owner starts containers (a reaper then asks docker for them)."""
    claim = current()
    if claim is not None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(claim.folder / DOCKER_MARK, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))


@contextlib.contextmanager
def claim(key: str) -> Iterator[Claim]:
    """Own a folder for this process and archive; temporary folders made in the block go there.

    Claims of the same key held at once share the folder; the last one to end removes it.
    """
    global _tempdir_before
    with _lock:
        if not _claims:
            _tempdir_before = tempfile.tempdir
        base = _claims[0].root.parent if _claims else Path(tempfile.gettempdir())
        held = next((c for c in _claims if c.owner.key == key), None) or _make(me(key), base)
        _claims.append(held)
        tempfile.tempdir = str(held.folder)
    try:
        yield held
    finally:
        with _lock:
            del _claims[len(_claims) - 1 - _claims[::-1].index(held)]
            tempfile.tempdir = str(_claims[-1].folder) if _claims else _tempdir_before
            if held not in _claims:  # under the lock: a claim of the same key must not get a folder being removed
                _release(held)


def _make(owner: Owner, base: Path) -> Claim:
    for _ in range(10):
        try:
            root = _private_root(base)
            os.mkdir(root / owner.name, 0o700)
        except FileExistsError:
            pass  # left by an earlier claim of this same process whose removal failed
        except FileNotFoundError:
            continue  # a finishing owner removed the (then empty) root just now
        return Claim(owner, root, root / owner.name)
    raise SandboxError(f"cannot make an owner folder under {base}")


def _private_root(base: Path) -> Path:
    """``base/gitdgm-<uid>``, made 0700 or checked to be this user's own folder that no one else can write."""
    root = base / f"gitdgm-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        os.mkdir(root, 0o700)
    info = os.lstat(root)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise SandboxError(
            f"{root} must be a folder (not a link) of this user that only it can write; "
            "remove it or point TMPDIR elsewhere"
        )
    return root


def _release(held: Claim) -> None:
    try:
        remove_tree(held.folder)
    except OSError as error:  # the next step's reaper removes it; this exit must not fail over it
        log.warning("gitdgm: could not remove %s: %s", held.folder, error)
    with contextlib.suppress(OSError):
        os.rmdir(held.root)  # only when no other owner has a folder there
