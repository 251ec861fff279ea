"""``gitdgm clone``: ``git clone`` with gitdgm's refspecs, so that records and rejected agents come too.

git's default refspec fetches branches only: a plain clone of an archive has no records (``refs/notes/dgm``), no
rejected agents and no local ``dgm/`` branches. Like ``git lfs clone``, this clones, adds ``refs.fetch_refspecs``
to the remote (so a later ``git fetch``, ``git pull`` or ``gitdgm sync`` brings them too, into remote-tracking
refs), then fetches and adopts them with ``gitdgm sync --fetch-only``. git does the transport, as in ``sync.py``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from gitdgm.archive.refs import BRANCH_PREFIX, RECORDS_REF, covered, fetch_refspecs
from gitdgm.archive.repository import Archive, Snapshot
from gitdgm.archive.sync import SyncStats, sync
from gitdgm.errors import ArchiveError


def clone_archive(url: str, directory: Path | None = None, remote: str = "origin") -> tuple[Archive, SyncStats]:
    """Clone the archive at ``url`` into ``directory`` (default: named after the URL, as git does)."""
    target = directory or Path(default_directory(url))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ArchiveError(
            f"{target} already exists and is not an empty directory: clone into a new one "
            f"(`gitdgm clone {url} NEW_DIR`)"
        )
    _check_remote(url)
    default = f"+refs/heads/*:refs/remotes/{remote}/*"  # what git clone configures itself
    config = [
        arg
        for spec in fetch_refspecs(remote)
        if not covered(spec, default)
        for arg in ("-c", f"remote.{remote}.fetch={spec}")
    ]
    cloned = _git("clone", "--quiet", "--origin", remote, *config, "--", url, str(target), url=url)
    archive = Archive(target)
    stats = sync(archive, remote, push=False)
    stats.warnings[:0] = [
        line.removeprefix("warning: ") for line in cloned.stderr.splitlines() if line.startswith("warning: ")
    ]  # e.g. no default branch to check out
    return archive, stats


def summary(snapshot: Snapshot) -> str:
    """``12 agents (8 admitted, 3 rejected, 1 pending), best 3f9a1c2b4d5e (0.600)``."""
    agents = list(snapshot.agents.values())
    counts = {
        status: sum(1 for a in agents if a.status == status)
        for status in ("evaluated", "rejected", "pending", "evaluating", "unreadable")
    }
    parts = [f"{counts.pop('evaluated')} admitted"] + [f"{n} {status}" for status, n in counts.items() if n]
    best = snapshot.best()
    top = f"{best.id} ({best.score:.3f})" if best is not None and best.score is not None else "none yet"
    return f"{len(agents)} agents ({', '.join(parts)}), best {top}"


def default_directory(url: str) -> str:
    """git's "humanish" name: the last path component of the URL, without ``.git``."""
    name = re.split(r"[/:]", url.rstrip("/").removesuffix("/.git").rstrip("/"))[-1]
    return name.removesuffix(".git") or "archive"


def _check_remote(url: str) -> None:
    """One ``git ls-remote`` before cloning: the URL answers, and what it holds is a gitdgm archive."""
    listed = _git("ls-remote", "--", url, f"{BRANCH_PREFIX}*", RECORDS_REF, url=url).stdout
    refs = {line.split("\t", 1)[1] for line in listed.splitlines() if "\t" in line}
    if not any(ref.startswith(BRANCH_PREFIX) for ref in refs):
        raise ArchiveError(
            f"{url} is not a gitdgm archive: it has no dgm/ branches: check the URL (clone a plain "
            "repository with `git clone`, and make it an archive with `gitdgm init`)"
        )
    if RECORDS_REF not in refs:
        raise ArchiveError(
            f"{url} has dgm/ branches but no records ({RECORDS_REF}): push them there from a "
            "complete copy of the archive with `gitdgm sync`"
        )


def _git(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ArchiveError(
            f"cannot clone {url}: {_reason(proc.stderr)}: check the URL (a path, or an ssh or https "
            "address of a gitdgm archive) and your access to it"
        )
    return proc


def _reason(stderr: str) -> str:
    """git's own first complaint ("fatal: '/x' does not appear to be a git repository"), not its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    return first.removeprefix("fatal: ").removeprefix("error: ") or "git failed without a message"
