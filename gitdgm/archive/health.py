"""What is wrong with an archive, said with the ref at fault and the one command that fixes it.

A plain ``git clone`` fetches neither records nor rejected agents and makes no local ``dgm/`` branch; a branch can
point at something that is not an agent; a note can be damaged. Loading reports each here (an error when nothing
true can be shown, else a warning), and ``idle_reason`` lets a step fail with the reason instead of doing
nothing and exiting 0.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from gitdgm.archive.index import UNREADABLE, Snapshot
from gitdgm.archive.notes import NoteStore, read_blob
from gitdgm.archive.record import Record, RecordError
from gitdgm.archive.refs import (
    AGENT_PREFIXES,
    BRANCH_PREFIX,
    RECORDS_REF,
    REJECTED_PREFIX,
    agent_id,
    agent_tracking,
    notes_tracking,
)
from gitdgm.errors import ArchiveError


@dataclass
class RefScan:
    """The archive's agent refs, local and remote-tracking, read in one pass over the refs."""

    targets: dict[str, list[str]] = field(default_factory=dict)  # commit → local agent refs, `dgm/<id>` first
    names: set[str] = field(default_factory=set)  # what local agent refs are named (the `<id>` of `dgm/<id>`)
    tracking: dict[str, set[str]] = field(default_factory=dict)  # remote → names of its remote-tracking agent refs

    def unmerged(self, remote: str) -> int:
        """Agents ``remote``'s tracking refs hold that no local ref names or points at."""
        local = self.names | {agent_id(c) for c in self.targets}
        return len(self.tracking.get(remote, set()) - local)

    def best_remote(self) -> str | None:
        return max(self.tracking, key=lambda r: (len(self.tracking[r]), r == "origin"), default=None)


_TRACKING_ROOTS = ("refs/remotes/", "refs/dgm/remotes/")


def _remotes(repo: pygit2.Repository) -> list[str]:
    """The remotes' names (pygit2 types each one optional: a remote it lists always has a name)."""
    return [name for name in repo.remotes.names() if name is not None]


def scan_refs(repo: pygit2.Repository) -> RefScan:
    scan = RefScan()
    remote_prefixes = {prefix: remote for remote in _remotes(repo) for prefix in agent_tracking(remote).values()}
    for ref in repo.references.iterator():
        name, target = ref.name, ref.target
        if not isinstance(target, pygit2.Oid):
            continue
        if name.startswith(AGENT_PREFIXES):
            scan.targets.setdefault(str(target), []).append(name)
            scan.names.add(name[len(BRANCH_PREFIX if name.startswith(BRANCH_PREFIX) else REJECTED_PREFIX) :])
        elif name.startswith(_TRACKING_ROOTS):
            remote = next((r for p, r in remote_prefixes.items() if name.startswith(p)), None)
            if remote is not None:
                scan.tracking.setdefault(remote, set()).add(name.rsplit("/", 1)[1])
    for commit, names in scan.targets.items():  # the ref named after the agent is the one it is known by
        if len(names) > 1:
            names.sort(key=lambda n: (n.rsplit("/", 1)[1] != agent_id(commit), not n.startswith(BRANCH_PREFIX), n))
    return scan


def default_tip(repo: pygit2.Repository) -> str | None:
    """The default branch's commit: HEAD's branch, unless HEAD is on an agent's branch (a worktree checked out on
    ``dgm/<id>`` to revert or cherry-pick), then origin's HEAD, ``main`` or ``master``."""
    head = repo.references.get("HEAD")
    names = (
        [head.target]
        if head is not None and isinstance(head.target, str) and not head.target.startswith(BRANCH_PREFIX)
        else []
    )
    for name in [*names, "refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master"]:
        try:
            return str(repo.references[name].resolve().target)
        except (KeyError, pygit2.GitError):
            continue
    return None


def _sync_hint(remote: str | None) -> str:
    return "`gitdgm sync --fetch-only" + ("" if remote in (None, "origin") else f" {remote}") + "`"


def _agents(count: int) -> str:
    return f"{count} agent{'' if count == 1 else 's'}"


def check_fetched(repo: pygit2.Repository, scan: RefScan, where: Path) -> None:
    """Fail, naming the command that fetches them, where the records or the agents' branches were never fetched
    (a plain ``git clone``): the table would be empty, or every agent pending with no score."""
    has_records = repo.references.get(RECORDS_REF) is not None
    if scan.targets and has_records:
        return
    remote = scan.best_remote()
    if scan.targets:
        remotes = sorted(_remotes(repo), key=lambda r: r != "origin")
        fix = (
            f"fetch them with {_sync_hint(remote or remotes[0])}"
            if remote or remotes
            else "add the remote it came from (`git remote add origin URL`) and run `gitdgm sync --fetch-only`"
        )
        raise ArchiveError(
            f"this archive has {_agents(len(scan.targets))} on dgm/ branches but no records ({RECORDS_REF}): {fix}"
        )
    if remote is not None:
        lacks = "dgm/ branches" + ("" if has_records else f" or records ({RECORDS_REF})")
        raise ArchiveError(
            f"this clone has {_agents(len(scan.tracking[remote]))} on {remote}'s dgm/ branches "
            f"({agent_tracking(remote)[BRANCH_PREFIX]}*) but no local {lacks}: fetch them with "
            f"{_sync_hint(remote)}"
        )
    if not has_records:
        raise ArchiveError(
            f"not a gitdgm archive: {where} has no dgm/ branches and no records ({RECORDS_REF}): "
            "create one with `gitdgm init`, or clone one with `gitdgm clone URL`"
        )


def behind_remotes(repo: pygit2.Repository, scan: RefScan) -> list[str]:
    """What a plain ``git fetch`` brought into the remote-tracking refs that is not merged here."""
    warnings = []
    ours = _tip(repo, RECORDS_REF)
    for remote in sorted(_remotes(repo)):
        theirs = _tip(repo, notes_tracking(remote)[RECORDS_REF])
        newer = theirs is not None and theirs != ours and (ours is None or not repo.descendant_of(ours, theirs))
        unmerged = scan.unmerged(remote) if scan.tracking.get(remote) else 0
        parts = ([_agents(unmerged)] if unmerged else []) + (["records"] if newer else [])
        if parts:
            warnings.append(
                f"{remote} has {' and '.join(parts)} that this archive has not merged (fetched into "
                f"its remote-tracking refs): merge them with {_sync_hint(remote)}"
            )
    return warnings


def _tip(repo: pygit2.Repository, ref: str) -> pygit2.Oid | None:
    found = repo.references.get(ref)
    return found.target if found is not None and isinstance(found.target, pygit2.Oid) else None


def skipped_refs(
    repo: pygit2.Repository, skipped: Mapping[str, str], scan: RefScan, noted: Collection[str]
) -> list[str]:
    """One warning per ref that points at something that is not an agent, with the command that removes it (or,
    for an agent's own branch moved there, puts it back)."""
    by_id = {agent_id(c): c for c in noted} if skipped else {}
    warnings = []
    for commit, why in skipped.items():
        try:
            no_toml = "agent.toml" not in repo[commit].peel(pygit2.Tree)
        except (KeyError, ValueError, pygit2.GitError):
            no_toml = False
        for ref in scan.targets.get(commit, []):
            name = ref.removeprefix("refs/heads/")
            owner = by_id.get(ref.rsplit("/", 1)[1])
            if not ref.startswith(BRANCH_PREFIX):
                fix = f"delete it with `git update-ref -d {ref}`"
            elif owner is not None and owner != commit:
                fix = f"point it back at its agent with `git branch -f {name} {owner}`"
            else:
                fix = f"delete it with `git branch -D {name}`"
            toml = " (and it has no agent.toml)" if no_toml else ""
            warnings.append(f"{name} points at {agent_id(commit)}, {why}{toml}: not an agent, skipped; {fix}")
    return warnings


def note_fix(repo: pygit2.Repository, commit: str, error: str) -> str:
    """How to repair a note that is not a record: by hand, or from a remote's readable copy."""
    if "upgrade gitdgm" in error:
        return "upgrade gitdgm to read it"
    fix = f"edit it back into a record with `git notes --ref=dgm edit {agent_id(commit)}`"
    for remote in sorted(_remotes(repo)):
        theirs = NoteStore(repo, notes_tracking(remote)[RECORDS_REF])
        blob = theirs.blob_id(commit)
        try:
            if blob is not None and Record.parse(read_blob(repo, blob)):
                return f"{fix}, or take {remote}'s copy with `git notes --ref=dgm add -f -C {blob} {agent_id(commit)}`"
        except RecordError:
            continue
    return fix


def unreadable_note(repo: pygit2.Repository, commit: str, ref: str | None, error: str) -> str:
    where = ref.removeprefix("refs/heads/") if ref else "no branch"
    return (
        f"agent {agent_id(commit)} ({where}): its note in {RECORDS_REF} is not a gitdgm record: {error}; it is "
        f"listed as {UNREADABLE} and left out of selection and evaluation: {note_fix(repo, commit, error)}"
    )


def idle_reason(repo: pygit2.Repository, snapshot: Snapshot) -> str | None:
    """Why a step would do nothing (no agent to evaluate, none to breed from), or None when it has work."""
    agents = list(snapshot.agents.values())
    if snapshot.pending() or any(a.admitted for a in agents):
        return None
    if not agents:
        return (
            "a step has nothing to do: the archive has no agents (no dgm/ branch points at one): create the "
            "seed with `gitdgm init`"
        )
    unreadable = sorted((a for a in agents if a.status == UNREADABLE), key=lambda a: a.id)
    if unreadable:
        seed = snapshot.seed()
        bad = seed if seed.status == UNREADABLE else unreadable[0]
        who = "the seed agent" if bad is seed else "agent"
        return (
            f"a step has nothing to do: no agent is pending or admitted, and the note of {who} {bad.id} in "
            f"{RECORDS_REF} is not a gitdgm record ({bad.info['error']}): "
            f"{note_fix(repo, bad.commit, str(bad.info['error']))}"
        )
    return (
        f"a step has nothing to do: all {_agents(len(agents))} are rejected: commit a change onto a dgm/ "
        "branch (a pending agent) for the next step to evaluate"
    )
