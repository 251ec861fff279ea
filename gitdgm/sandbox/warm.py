"""Warm containers for the docker sandbox: made and started ahead by background threads while other runs execute,
so that a run pays only for handing its command over and waiting (a start is most of a short run's cost). Each
serves one run only and is then removed, as a cold one is; this module holds what is not docker.

A warm container's PID 1 is a launcher (``LAUNCHER``) that says it is ready, reads one line (the run's command,
folder and environment) from its stdin, puts /dev/null there and ``exec``s the command, which so becomes PID 1 as
in a cold container: same limits, user, output stream, exit status, kill and out-of-memory report.

Bind mounts are fixed when a container is made, a run's folders known only when it runs. So a warm container is
made for a ``Shape`` (mount names, which are read-only, whether a gateway socket comes) with one fresh empty host
folder (slot) per mount, in its own ``home`` (never mounted), mounted where a cold run mounts the run's folder.
``stage`` puts a run's inputs into the slots; ``Staged.restore`` gives them back once the container has stopped:
- a read-only folder is rebuilt in its slot with hard links (folders made, the rest linked; nothing opened or
  followed); the run's folder is untouched, so concurrent runs may share it;
- a writable folder's entries are renamed into its slot, and after the run the slot replaces the (then empty)
  folder in one rename: the caller finds what the run left where it was, as with a bind mount, nothing followed;
- the gateway socket is hard-linked into the read-only socket slot (its only entry).
A run whose folders are on another filesystem, overlap, or are mounted by a concurrent run in a way that moving
would disturb, runs cold (``Lending``).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from gitdgm.errors import SandboxError
from gitdgm.sandbox import owner

log = logging.getLogger("gitdgm.sandbox")
SOCKET_SLOT = ".gateway"  # not a mount name (those are words)
READY = b"gitdgm-warm-ready\n"
LAUNCHER = f"""import json, os, sys
os.write(1, {READY!r}); spec = json.loads(sys.stdin.buffer.readline() or b"null")
if not spec: os._exit(0)
null = os.open("/dev/null", os.O_RDONLY); os.dup2(null, 0); os.close(null)
env = dict(os.fsdecode(e).split("=", 1) for e in open("/proc/self/environ", "rb").read().split(b"\\0") if b"=" in e)
env.update(spec["env"]); argv, cwd = spec["argv"], spec["cwd"]
try:
    if not os.path.isdir(cwd): os.makedirs(cwd)
    os.chdir(cwd); os.execvpe(argv[0], argv, env)
except (OSError, ValueError) as e:
    os.write(2, f"{{argv[0]}}: {{getattr(e, 'strerror', None) or e}}\\n".encode(errors="replace")); os._exit(127)
"""
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_LINKED, MAX_DEPTH = 20_000, 64  # a bigger or deeper read-only tree runs cold
IDLE_LIMIT = 300.0  # seconds an unused warm container is kept
WAIT_FOR_PENDING = 1.0  # a run waits this long at most for a container being made, rather than start its own
FAILURES_TO_DISABLE, THREADS = 3, 2  # failures in a row that end warm containers; containers made at once


class NotEligible(Exception):
    """This run (or this warm container) cannot go warm: the run starts its own container."""


@dataclass(frozen=True)
class Shape:
    mounts: tuple[tuple[str, bool], ...]  # (name, read-only), sorted
    socket: bool
    owner: str  # the owner (``owner.running``) whose temporary folder holds the homes


def make_home(shape: Shape) -> tuple[Path, dict[str, Path]]:
    """A fresh folder with one empty slot per mount (and one for the socket), in the temporary folder of the
    shape's owner; NotEligible when that owner's claim has ended."""
    with owner._lock:  # a claim ending removes its folder under it: no home is made (or removed) meanwhile
        claim = owner._claims[-1] if owner._claims else None
        if (claim.owner if claim else owner.me()).name != shape.owner:
            raise NotEligible("the owner changed")
        home = Path(tempfile.mkdtemp(prefix="gitdgm-warm-")).resolve()
        names = [name for name, _ in shape.mounts] + ([SOCKET_SLOT] if shape.socket else [])
        for name in names:
            os.mkdir(home / name, 0o700)
    return home, {name: home / name for name in names}


@dataclass
class Staged:
    """The writable folders whose entries are in slots: (run folder, slot, the folder's mode)."""

    moved: list[tuple[Path, Path, int]] = field(default_factory=list)

    def restore(self) -> None:
        """Put each slot back in place of its run folder (the container must have stopped)."""
        failed = [f"{folder}: {error}" for folder, slot, mode in self.moved if (error := _put_back(folder, slot, mode))]
        self.moved.clear()
        if failed:
            raise SandboxError(f"docker sandbox: cannot give back a run's folder: {'; '.join(failed)[:300]}")


def stage(
    staged: Staged, home: Path, slots: Mapping[str, Path], sources: Mapping[str, Path], read_only: Collection[str],
    socket: Path | None,
) -> None:  # fmt: skip
    """Put a run's folders (real paths) and socket into ``slots``, noting in ``staged`` what to give back (also
    when this fails midway: NotEligible, or an interruption)."""
    device = os.stat(home).st_dev
    for path in [*sources.values(), *([socket] if socket else [])]:
        if os.stat(path, follow_symlinks=False).st_dev != device or _overlap(path, home):
            raise NotEligible(f"{path} is on another filesystem, or holds the warm home")
    try:
        if socket is not None:
            os.link(socket, slots[SOCKET_SLOT] / socket.name, follow_symlinks=False)
            os.chmod(slots[SOCKET_SLOT], stat.S_IMODE(os.stat(socket.parent).st_mode))
        for name in sorted(sources, key=lambda name: name not in read_only):  # read-only ones first: nothing moves
            if name in read_only:
                _link_tree(sources[name], slots[name])
            else:
                _move_in(sources[name], slots[name], staged)
    except OSError as error:
        raise NotEligible(str(error)) from None


def _move_in(folder: Path, slot: Path, staged: Staged) -> None:
    src, dst = os.open(folder, _DIR), os.open(slot, _DIR)
    try:
        mode = stat.S_IMODE(os.fstat(src).st_mode)
        staged.moved.append((folder, slot, mode))
        for name in os.listdir(src):
            os.rename(name, name, src_dir_fd=src, dst_dir_fd=dst)  # the entry itself, never followed
        os.fchmod(dst, mode)
    finally:
        os.close(src)
        os.close(dst)


def _put_back(folder: Path, slot: Path, mode: int) -> OSError | None:
    """``slot`` (ours: its name is not in the container) replaces the empty ``folder``; else its entries go back."""
    try:
        os.chmod(slot, stat.S_IRWXU)  # the run may have changed the mounted folder's mode
        fd = os.open(slot, _DIR)
        try:
            try:
                os.rename(slot, folder)  # replaces an empty folder in one step
            except OSError:
                back = os.open(folder, _DIR)
                try:
                    for name in os.listdir(fd):
                        os.rename(name, name, src_dir_fd=fd, dst_dir_fd=back)
                finally:
                    os.close(back)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except OSError as error:
        return error
    return None


def _link_tree(source: Path, slot: Path) -> None:
    """Rebuild ``source`` in ``slot``: folders made (with their modes), everything else hard-linked, none followed."""
    count = 0

    def copy(src: int, dst: int, depth: int) -> None:
        nonlocal count
        with os.scandir(src) as listing:
            entries = list(listing)
        count += len(entries)
        if count > MAX_LINKED or depth > MAX_DEPTH:
            raise NotEligible("a read-only folder too big to link")
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.link(entry.name, entry.name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                continue
            sub = os.open(entry.name, _DIR, dir_fd=src)  # a link put there meanwhile fails here, is not followed
            try:
                os.mkdir(entry.name, 0o700, dir_fd=dst)
                made = os.open(entry.name, _DIR, dir_fd=dst)
                try:
                    copy(sub, made, depth + 1)
                    os.fchmod(made, stat.S_IMODE(os.fstat(sub).st_mode))
                finally:
                    os.close(made)
            finally:
                os.close(sub)

    src, dst = os.open(source, _DIR), os.open(slot, _DIR)
    try:
        copy(src, dst, 0)
        os.fchmod(dst, stat.S_IMODE(os.fstat(src).st_mode))
    finally:
        os.close(src)
        os.close(dst)


def _overlap(a: Path | str, b: Path | str) -> bool:
    return os.path.commonpath([a, b]) in (os.fspath(a), os.fspath(b))


class Lending:
    """The host folders runs have mounted now. A writable one whose entries are in a warm container's slot is
    lent: until it is back, another run that mounts it (or a folder above or below it) waits."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held: list[tuple[list[str], list[str], list[str]]] = []  # per run (see _meets)

    @contextlib.contextmanager
    def hold(self, folders: Sequence[tuple[str, bool]], warm: bool) -> Iterator[bool]:
        """Hold a run's ``folders`` (real path, writable); yields whether the run may go warm: none of its folders
        overlap each other, its writable ones no other run's, its read-only ones no other run's writable ones."""
        paths = [path for path, _ in folders]
        writable = [path for path, rw in folders if rw]
        with self._cond:
            self._cond.wait_for(lambda: not self._meets(paths, 2))
            warm = warm and not any(_overlap(p, q) for i, p in enumerate(paths) for q in paths[i + 1 :])
            warm = warm and not self._meets(paths, 1) and not self._meets(writable, 0)
            entry = (paths, writable, writable if warm else [])
            self._held.append(entry)
        try:
            yield warm
        finally:
            with self._cond:
                self._held.remove(entry)
                self._cond.notify_all()

    def _meets(self, paths: list[str], which: int) -> bool:  # which: 0 folders, 1 writable ones, 2 lent ones
        return any(_overlap(p, q) for held in self._held for q in held[which] for p in paths)


W = TypeVar("W")


class WarmPool(Generic[W]):
    """Warm containers per shape, made by a background thread that also runs ``later`` work (removals) when none
    is to be made; each is handed out once, under the lock. Per shape it keeps one more than the runs of it under
    way ready (at most ``size``): a shape used twice in a row (a child's agent runs) finds the second one ready."""

    def __init__(
        self, prepare: Callable[[Shape], W], dispose: Callable[[W], None], alive: Callable[[W], bool], size: int
    ) -> None:
        self._prepare, self._dispose, self._alive, self.size = prepare, dispose, alive, size
        self._cond = threading.Condition()
        self._idle: dict[Shape, list[tuple[float, W]]] = collections.defaultdict(list)
        self._wanted: collections.deque[tuple[int, Shape]] = collections.deque()  # (generation, shape) to make
        self._cleanups: collections.deque[Callable[[], object]] = collections.deque()
        self._pending: collections.Counter[Shape] = collections.Counter()  # wanted or being made
        self._making: collections.Counter[Shape] = collections.Counter()
        self._running: collections.Counter[Shape] = collections.Counter()
        self._busy = self._generation = self._failures = self._threads = 0  # _threads: alive, at most THREADS
        self._closed = False
        self.disabled = ""  # why warm containers are no longer made
        self.hits = 0  # runs served by a warm container (the sandbox counts them)

    @contextlib.contextmanager
    def lease(self, shape: Shape) -> Iterator[W | None]:
        """A warm container of ``shape`` for one run (None: the run starts its own); asks for the next ones."""
        with self._cond:
            self._running[shape] += 1
            got = self._take(shape)
            while self._open and len(self._idle[shape]) + self._pending[shape] < min(
                self.size, self._running[shape] + 1
            ):
                self._pending[shape] += 1
                self._wanted.append((self._generation, shape))
            self._wake()
        try:
            yield got
        finally:
            with self._cond:
                self._running[shape] -= 1

    def later(self, job: Callable[[], object]) -> None:
        """Run ``job`` in the background thread (``drain`` waits for it)."""
        with self._cond:
            self._cleanups.append(job)
            self._wake()

    def drain(self, timeout: float = 60) -> None:
        """Dispose of every idle container and wait for the background work under way (containers made meanwhile
        are disposed of, not kept); later runs make new ones."""
        with self._cond:
            self._generation += 1
            self._pending -= collections.Counter(shape for _, shape in self._wanted)
            self._wanted.clear()
            jobs: list[Callable[[], object]] = [
                functools.partial(self._dispose, it) for its in self._idle.values() for _, it in its
            ]
            jobs += self._cleanups
            self._idle.clear()
            self._cleanups.clear()
        for job in jobs:
            self._quietly(job)
        mine = threading.current_thread().name == f"gitdgm-warm-{id(self)}"  # (closed by a collection in one)
        with self._cond:
            self._cond.wait_for(lambda: self._busy <= mine and not (self._cleanups or self._wanted), timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self.drain()

    def idle(self) -> int:
        with self._cond:
            return sum(map(len, self._idle.values()))

    @property
    def _open(self) -> bool:
        return not (self._closed or self.disabled or self.size <= 0)

    def _take(self, shape: Shape) -> W | None:
        if not self._open:
            return None
        deadline = time.monotonic() + WAIT_FOR_PENDING
        while True:
            while self._idle[shape]:
                _, item = self._idle[shape].pop()
                if self._alive(item):
                    return item
                self._cleanups.append(functools.partial(self._dispose, item))
            left = deadline - time.monotonic()
            if not self._making[shape] or left <= 0:  # one being made is nearly ready; a wanted one may be far
                return None
            self._cond.wait(left)

    def _wake(self) -> None:
        if self._threads < THREADS and self._busy >= self._threads and (self._wanted or self._cleanups):
            self._threads += 1
            threading.Thread(target=self._work, name=f"gitdgm-warm-{id(self)}", daemon=True).start()
        self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not (self._wanted or self._cleanups):
                    self._expire()
                    if self._cleanups:
                        break
                    if self._closed or not any(self._idle.values()):
                        self._threads -= 1
                        return
                    self._cond.wait(timeout=5.0)
                job = self._cleanups.popleft() if not self._wanted else None
                generation, shape = self._wanted.popleft() if self._wanted else (0, None)
                if shape is not None:
                    self._making[shape] += 1
                self._busy += 1
            try:
                if shape is not None:
                    self._make(generation, shape)
                elif job is not None:
                    self._quietly(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _make(self, generation: int, shape: Shape) -> None:
        made: W | None = None
        try:
            made = self._prepare(shape)
        except NotEligible:
            pass
        except Exception as error:  # a container not made costs a cold start, never the run
            with self._cond:
                self._failures += 1
                if self._failures >= FAILURES_TO_DISABLE and not self.disabled:
                    self.disabled = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
                    log.warning("docker sandbox: no warm containers (each run starts its own): %s", self.disabled)
        with self._cond:
            self._pending[shape] -= 1
            self._making[shape] -= 1
            if made is not None and generation == self._generation and not self._closed:
                self._failures = 0
                self._idle[shape].append((time.monotonic(), made))
                made = None
            self._cond.notify_all()
        if made is not None:
            self._quietly(self._dispose, made)

    def _expire(self) -> None:
        """Queue the disposal of idle containers made for another owner (a claim ended) or unused too long."""
        now, who = time.monotonic(), owner.running().name
        for shape, items in self._idle.items():
            for made, item in items:
                if shape.owner != who or now - made > IDLE_LIMIT:
                    self._cleanups.append(functools.partial(self._dispose, item))
            items[:] = [(made, item) for made, item in items if shape.owner == who and now - made <= IDLE_LIMIT]

    @staticmethod
    def _quietly(job: Callable[..., object], *args: object) -> None:
        try:
            job(*args)
        except Exception as error:  # background cleanup: logged; the reaper removes what is left
            log.warning("docker sandbox: background cleanup failed: %s", str(error).splitlines()[0][:300])
