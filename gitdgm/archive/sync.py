"""Share an archive through a git remote: many runners push agents and notes to one remote without losing any.

Fetch brings the remote's ``dgm/*`` branches, rejected refs and notes into remote-tracking refs (never straight
over local refs); the remote's notes are merged into the local ones with a real merge commit (both tips as
parents, records merged by ``notes_merge``); then branches, rejected refs and notes are pushed with
``git push --atomic`` and plain (non-forced) refspecs. A push the remote rejects because another runner pushed
first is answered by fetch, merge and a retry with backoff. Nothing is ever force-pushed, and a branch that
points elsewhere on the remote is reported, not overwritten. Subprocess git does the transport: libgit2 has no
atomic push. Rules and limits: docs/scale-out.md.
"""

from __future__ import annotations

import random
import subprocess
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pygit2

from gitdgm.archive.notes_merge import BlobMerge, keep_ours, merge_note_bytes, merge_trees
from gitdgm.archive.refs import (
    BRANCH_PREFIX,
    LOGS_REF,
    RECORDS_REF,
    REJECTED_PREFIX,
    agent_tracking,
    fetch_refspecs,
    notes_tracking,
)
from gitdgm.archive.repository import Archive
from gitdgm.config import CONFIG_FILE, load_config
from gitdgm.errors import ArchiveError

NOTES_MERGE: dict[str, BlobMerge] = {RECORDS_REF: merge_note_bytes, LOGS_REF: keep_ours}
MAX_ATTEMPTS = 10
BATCH = 2000  # refspecs per push command (keeps the command line short on a first push of 10,000 agents)
_ZERO = "0" * 40


@dataclass
class SyncStats:
    """What one sync did; ``push_rejections`` counts pushes refused because another runner pushed first."""

    remote: str
    fetches: int = 0
    new_agents: int = 0  # branches and rejected refs created locally from the remote
    notes_merges: int = 0  # merge commits on a notes ref
    records_merged: int = 0  # notes both sides changed, merged field by field
    pushed_refs: int = 0
    push_rejections: int = 0
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sync(
    archive: Archive,
    remote: str | None = None,
    *,
    fetch: bool = True,
    push: bool = True,
    max_attempts: int = MAX_ATTEMPTS,
    backoff: float = 0.2,
) -> SyncStats:
    """Fetch and merge, then push; retried while another runner's push gets in first."""
    syncer = _Syncer(archive, _remote_name(archive, remote))
    for attempt in range(max_attempts):
        if fetch:
            syncer.fetch_and_merge()
        if not push or syncer.push():
            return syncer.stats
        if not fetch:
            raise ArchiveError(
                f"the push to {syncer.remote} was rejected (it has newer notes or branches): "
                "run `gitdgm sync` without --push-only to merge them first"
            )
        time.sleep(min(backoff * 2**attempt, 5.0) * random.uniform(0.5, 1.5))
    raise ArchiveError(
        f"could not push to {syncer.remote}: rejected {max_attempts} times while other runners "
        "pushed; run `gitdgm sync` again"
    )


def _remote_name(archive: Archive, remote: str | None) -> str:
    name = remote or load_config(archive.default_branch_file(CONFIG_FILE)).sync.remote or "origin"
    if name not in archive.repo.remotes.names():
        raise ArchiveError(
            f"the archive has no remote {name!r}: add one with `git remote add {name} URL` "
            f"(or set [sync] remote in {CONFIG_FILE})"
        )
    return name


class _Syncer:
    def __init__(self, archive: Archive, remote: str) -> None:
        self.repo = archive.repo
        self.remote = remote
        self.stats = SyncStats(remote)
        self.tracking = agent_tracking(remote)  # local namespace → remote-tracking namespace
        self.notes_tracking = notes_tracking(remote)

    # --- git ----------------------------------------------------------------------------------------------------
    def git(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", f"--git-dir={self.repo.path}", *args], input=stdin, capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            raise ArchiveError(f"git {args[0]} failed (remote {self.remote}): {_last_line(proc.stderr)}")
        return proc

    def refs(self) -> dict[str, str]:
        """Every agent ref, remote-tracking ref and notes ref: name → target (one for-each-ref call)."""
        prefixes = [*self.tracking, *self.tracking.values(), *NOTES_MERGE, *self.notes_tracking.values()]
        out = self.git("for-each-ref", "--format=%(refname) %(objectname)", *prefixes).stdout
        return dict(line.split(" ", 1) for line in out.splitlines())

    def update_refs(self, updates: list[tuple[str, str, str]]) -> bool:
        """Compare-and-swap ``(ref, new, old)`` in one transaction (old all zeros: must not exist)."""
        if not updates:
            return True
        lines = "".join(f"update {ref} {new} {old}".rstrip() + "\n" for ref, new, old in updates)
        return self.git("update-ref", "-m", "gitdgm sync", "--stdin", stdin=lines, check=False).returncode == 0

    # --- fetch and merge ----------------------------------------------------------------------------------------
    def fetch_and_merge(self) -> None:
        self.git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--prune",
            "--no-write-fetch-head",
            self.remote,
            *fetch_refspecs(self.remote),
        )
        self.stats.fetches += 1
        refs = self.refs()
        self._adopt_agents(refs)
        for ref, merge_blob in NOTES_MERGE.items():
            self._merge_notes(ref, self.notes_tracking[ref], merge_blob)

    def _adopt_agents(self, refs: dict[str, str]) -> None:
        """Create local branches and rejected refs for the remote's agents; report ones that disagree."""
        creates: list[tuple[str, str, str]] = []
        for local_prefix, tracking_prefix in self.tracking.items():
            other_prefix = REJECTED_PREFIX if local_prefix == BRANCH_PREFIX else BRANCH_PREFIX
            for name, target in refs.items():
                if not name.startswith(tracking_prefix):
                    continue
                agent = name[len(tracking_prefix) :]
                local = refs.get(local_prefix + agent)
                if local == target:
                    continue
                if local is not None:
                    self._disagree(local_prefix + agent, local, target)
                elif refs.get(other_prefix + agent) != target:
                    creates.append((local_prefix + agent, target, _ZERO))
        if creates and not self.update_refs(creates):  # a local writer raced us: create one by one
            creates = [c for c in creates if self.update_refs([c])]
        self.stats.new_agents += len(creates)

    def _disagree(self, ref: str, local: str, remote: str) -> None:
        message = (
            f"{ref} points at {local[:12]} here but at {remote[:12]} on {self.remote}: neither side "
            "changed (agent refs never move; inspect both commits and fix it by hand)"
        )
        if message not in self.stats.conflicts:
            self.stats.conflicts.append(message)

    def _merge_notes(self, ref: str, tracking: str, merge_blob: BlobMerge) -> None:
        repo = self.repo
        for _ in range(MAX_ATTEMPTS):
            theirs = _tip(repo, tracking)
            ours = _tip(repo, ref)
            if theirs is None or (
                ours is not None and (ours.id == theirs.id or repo.descendant_of(ours.id, theirs.id))
            ):
                return
            if ours is None or repo.descendant_of(theirs.id, ours.id):
                new = theirs.id
            else:
                base_id = repo.merge_base(ours.id, theirs.id)
                base = repo[base_id].peel(pygit2.Tree) if base_id is not None else None
                result = merge_trees(repo, base, ours.tree, theirs.tree, merge_blob)
                sig = _signature(repo)
                new = repo.create_commit(
                    None, sig, sig, f"gitdgm: merge {self.remote}'s notes into {ref}", result.tree, [ours.id, theirs.id]
                )
                self.stats.records_merged += result.merged
                self.stats.warnings.extend(result.warnings)
            if self.update_refs([(ref, str(new), str(ours.id) if ours is not None else _ZERO)]):
                self.stats.notes_merges += new != theirs.id
                return
        raise ArchiveError(f"could not update {ref}: it kept changing under the merge; run `gitdgm sync` again")

    # --- push ---------------------------------------------------------------------------------------------------
    def push(self) -> bool:
        """Push what the remote lacks; False when the remote refused because another runner got in first."""
        refs = self.refs()
        updates: list[tuple[str, str]] = []  # (ref, target) the remote-tracking copy lacks
        for local_prefix, tracking_prefix in self.tracking.items():
            for name, target in refs.items():
                if name.startswith(local_prefix):
                    remote_target = refs.get(tracking_prefix + name[len(local_prefix) :])
                    if remote_target is None:
                        updates.append((name, target))
                    elif remote_target != target:
                        self._disagree(name, target, remote_target)
        notes = [
            (ref, refs[ref]) for ref in NOTES_MERGE if ref in refs and refs.get(self.notes_tracking[ref]) != refs[ref]
        ]
        batches = [updates[i : i + BATCH] for i in range(0, len(updates), BATCH)] or [[]]
        batches[-1] = batches[-1] + notes  # notes go last, with the agents they describe
        for batch in batches:  # noqa: SIM110 - pushes each batch in turn: all() would hide that side effect
            if batch and not self._push_batch(batch):
                return False
        return True

    def _push_batch(self, batch: list[tuple[str, str]]) -> bool:
        specs = [f"{target}:{ref}" for ref, target in batch]
        atomic = True
        proc = self.git("push", "--atomic", "--porcelain", "--no-verify", self.remote, *specs, check=False)
        if proc.returncode != 0 and "does not support --atomic" in proc.stderr:
            atomic = False
            proc = self.git("push", "--porcelain", "--no-verify", self.remote, *specs, check=False)
        rejected = {line.split("\t")[1].split(":", 1)[1] for line in proc.stdout.splitlines() if line.startswith("!\t")}
        if proc.returncode != 0 and not rejected:
            raise ArchiveError(f"git push failed (remote {self.remote}): {_last_line(proc.stderr)}")
        pushed = [] if rejected and atomic else [(ref, t) for ref, t in batch if ref not in rejected]
        self.update_refs([(self._tracking_name(ref), target, "") for ref, target in pushed])
        self.stats.pushed_refs += len(pushed)
        if rejected:
            self.stats.push_rejections += 1
            return False
        return True

    def _tracking_name(self, ref: str) -> str:
        if ref in self.notes_tracking:
            return self.notes_tracking[ref]
        prefix = BRANCH_PREFIX if ref.startswith(BRANCH_PREFIX) else REJECTED_PREFIX
        return self.tracking[prefix] + ref[len(prefix) :]


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no message"


def _tip(repo: pygit2.Repository, ref: str) -> pygit2.Commit | None:
    try:
        return repo.references[ref].peel(pygit2.Commit)
    except KeyError:
        return None


def _signature(repo: pygit2.Repository) -> pygit2.Signature:
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature("gitdgm", "gitdgm@localhost")
