"""Ending what a killed gitdgm left behind: sandbox processes, containers, temporary folders.

Run when a step or an eval opens its runtime, once this process holds its own claim (``owner.py``). Only owners
that are gone are touched, so a live runner (an eval shard, a concurrent step waiting on the lock) keeps its
processes, containers and folders. A dead owner's leftovers are debris whichever archive it worked on, so all of
this user's on this machine are taken: an archive that is deleted, or never stepped again, leaves nothing for
good. Processes go first (a cgroup's tasks, then marked processes and their sessions), so none writes into a
folder while it is removed; a dead owner's folder is first renamed into this process's own folder, which makes
the removal this reaper's alone and, should it be killed too, leaves the rest to the next reaper.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitdgm.errors import SandboxError
from gitdgm.sandbox import pids, procs
from gitdgm.sandbox.owner import DOCKER_MARK, Claim, Owner
from gitdgm.sandbox.scratch import remove_tree

log = logging.getLogger("gitdgm.sandbox")


@dataclass
class Reaped:
    owners: int = 0  # dead owners whose folders were removed
    processes: int = 0
    containers: int = 0

    def __bool__(self) -> bool:
        return bool(self.owners or self.processes or self.containers)

    def __str__(self) -> str:
        return (
            f"cleaned up after killed gitdgm runs: {self.processes} process(es) ended, "
            f"{self.containers} container(s) and {self.owners} run folder(s) removed"
        )


def reap(claim: Claim, docker_client: Any = None) -> Reaped:
    """End what dead owners left. ``docker_client``: the runtime's own, when it uses docker (then containers are
    looked for even where a dead owner's folder is gone, e.g. under another TMPDIR)."""

    @functools.cache
    def gone(name: str) -> bool:
        found = Owner.parse(name)
        return found is not None and found.gone()

    folders = [entry for entry in _entries(claim.root) if entry.name != claim.folder.name and gone(entry.name)]
    done = Reaped(owners=len(folders))
    done.processes = pids.reap_groups()
    done.processes += procs.end_marked(lambda marker: gone(marker.partition("/")[0]))
    if docker_client is not None or any(os.path.lexists(folder / DOCKER_MARK) for folder in folders):
        done.containers = _remove_containers(docker_client, gone)
    for folder in folders:
        _remove(folder, claim.folder)
    return done


def _entries(root: Path) -> list[Path]:
    """The folders in ``root`` (links and files are not owner folders and are left alone)."""
    with os.scandir(root) as listing:
        return [Path(entry.path) for entry in listing if entry.is_dir(follow_symlinks=False)]


def _remove_containers(client: Any, gone: Callable[[str], bool]) -> int:
    """Remove dead owners' containers (connecting when the runtime has no client); a daemon that does not
    answer is reported, never a reason to fail the step."""
    from gitdgm.sandbox.container import connect, remove_orphans

    try:
        return remove_orphans(client or connect(timeout=10), gone)
    except SandboxError as error:
        log.warning("gitdgm: containers left by killed runs cannot be looked for: %s", error)
        return 0


def _remove(folder: Path, into: Path) -> None:
    """Take ``folder`` into this process's own folder (one reaper wins the rename), then remove it."""
    taken = into / f"reaped-{folder.name}"
    try:
        os.rename(folder, taken)
        remove_tree(taken)
    except FileNotFoundError:
        pass  # another reaper took it first
    except OSError as error:
        log.warning("gitdgm: could not remove %s, left by a killed run: %s", folder, error)
