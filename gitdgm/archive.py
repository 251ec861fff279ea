"""The archive: agents are commits, admitted ones have a ``dgm/<id>`` branch, records are notes.

All pygit2 use for agents lives here (notes layout in ``notes.py``, the record format in ``record.py``, which
commits are agents in ``lineage.py``, what is wrong with an archive and its fix in ``health.py``, the ref
namespaces in ``refs.py``). Layout and rules: docs/archive.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import CheckoutStrategy, FileMode

from gitdgm import health
from gitdgm.errors import ArchiveError
from gitdgm.lineage import Lineage, trace
from gitdgm.load_cache import CommitFacts, LoadCache
from gitdgm.notes import LOGS_REF, RECORDS_REF, NoteStore
from gitdgm.record import Record, RecordError, summarise, summary_of
from gitdgm.refs import BRANCH_PREFIX, ID_LENGTH, REJECTED_PREFIX, agent_id
from gitdgm.sandbox.readback import Limits
from gitdgm.snapshot import Agent, Snapshot
from gitdgm.workspace import snapshot

__all__ = ["BRANCH_PREFIX", "ID_LENGTH", "REJECTED_PREFIX", "Agent", "Archive", "Snapshot", "agent_id",
           "parse_trailers"]
_GITDGM = pygit2.Signature("gitdgm", "gitdgm@localhost")


class Archive:
    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise ArchiveError(f"not a git repository: {path} (create an archive with `gitdgm init {path}`, or "
                               f"clone one with `gitdgm clone URL {path}`)")
        self.repo = pygit2.Repository(found)
        self.records = NoteStore(self.repo, RECORDS_REF)
        self.logs = NoteStore(self.repo, LOGS_REF)

    @property
    def path(self) -> Path:
        return Path(self.repo.workdir or self.repo.path)

    def require_fetched(self) -> None:
        """Fail, naming the command that fetches them, where the records were never fetched (a plain ``git
        clone``): a load would fail the same way, but a step says so before it starts its sandbox and gateway."""
        health.check_fetched(self.repo, health.scan_refs(self.repo), self.path)

    # --- reading --------------------------------------------------------------------------------------------
    def load(self) -> Snapshot:
        """Every agent and its record's summary in one pass; what cannot be read is a warning naming the ref or
        agent and the fix, and only an archive with nothing true to show (records never fetched) is an error."""
        cache = LoadCache(Path(self.repo.path) / "gitdgm")
        scan = health.scan_refs(self.repo)
        health.check_fetched(self.repo, scan, self.path)
        warnings = health.behind_remotes(self.repo, scan)
        notes = {commit_hex: str(blob) for commit_hex, blob in self.records.entries()}
        infos: dict[str, dict[str, Any]] = {}

        def info(commit_hex: str) -> dict[str, Any]:
            if commit_hex not in notes:
                return {}
            if commit_hex not in infos:
                blob = notes[commit_hex]
                infos[commit_hex] = cache.summary(blob, lambda: _summary_or_error(self.repo, pygit2.Oid(hex=blob)))
            return infos[commit_hex]

        claimed = set(scan.targets) | {c for c in notes if agent_id(c) in scan.names}
        lineage = trace(claimed, notes, lambda c: self._commit_facts(c, cache), info, health.default_tip(self.repo))
        if lineage.broken:
            raise ArchiveError(_seed_missing(lineage, scan))
        warnings += [f"agent {agent_id(c)}: its commit is missing from the repository; skipped"
                     for c in sorted(lineage.missing)]
        warnings += health.skipped_refs(self.repo, lineage.skipped, scan, notes)
        agents: dict[str, Agent] = {}
        for commit_hex in lineage.agents():
            facts = lineage.facts[commit_hex]
            ref, blob = scan.targets.get(commit_hex, [None])[0], notes.get(commit_hex)
            parent, summary = lineage.parent[commit_hex], info(commit_hex)
            if "error" in summary:
                warnings.append(health.unreadable_note(self.repo, commit_hex, ref, summary["error"]))
            agents[agent_id(commit_hex)] = Agent(
                id=agent_id(commit_hex), commit=commit_hex, tree=facts.tree, summary=facts.subject,
                parent=agent_id(parent) if parent else None, info=summary, ref=ref,
                _load_record=(lambda c=commit_hex, b=blob: self._parse_note(c, b)) if blob else None)
        for agent in agents.values():
            if agent.parent is not None:
                agents[agent.parent].children.append(agent.id)
        cache.save({"summaries": {notes[c] for c in infos}, "commits": {a.commit for a in agents.values()}})
        return Snapshot(agents, warnings, agent_id(lineage.seed) if lineage.seed else None)

    def refresh(self, snapshot: Snapshot, commit_hex: str) -> Agent:
        """Re-read one agent (new or changed) into ``snapshot``: what a step does instead of reloading 10,000."""
        blob = self.records.blob_id(commit_hex)
        info: dict[str, Any] = {}
        if blob is not None:
            info = summarise(self._parse_note(commit_hex, blob))
        ref = next((name for name in (BRANCH_PREFIX + agent_id(commit_hex), REJECTED_PREFIX + agent_id(commit_hex))
                    if (r := self.repo.references.get(name)) is not None and str(r.target) == commit_hex), None)
        agent = snapshot.agents.get(agent_id(commit_hex))
        if agent is None:
            facts = self._commit_facts(commit_hex)
            if facts is None:
                raise ArchiveError(f"agent {agent_id(commit_hex)}: its commit is missing from the repository")
            agent = Agent(id=agent_id(commit_hex), commit=commit_hex, tree=facts.tree, parent=None,
                          summary=facts.subject, info=info, ref=ref)
            agent.parent = self._parent_agent(facts.parent, {a.commit: a for a in snapshot.agents.values()})
            snapshot.agents[agent.id] = agent
            if agent.parent is not None:
                snapshot.agents[agent.parent].children.append(agent.id)
        agent.info, agent.ref, agent._record = info, ref, None
        agent._load_record = (lambda c=commit_hex, b=blob: self._parse_note(c, b)) if blob else None
        return agent

    def _parse_note(self, commit_hex: str, blob: str) -> Record:
        """The full record; listing reads only its summary, so a bad task table is first seen here."""
        try:
            return Record.parse(self.repo[blob].data)
        except RecordError as exc:
            raise ArchiveError(f"agent {agent_id(commit_hex)}: its note in {RECORDS_REF} is not a gitdgm record: "
                               f"{exc}: {health.note_fix(self.repo, commit_hex, str(exc))}") from None

    def pack_refs(self, threshold: int = 500) -> None:
        """Pack loose agent refs once there are many: listing 10,000 loose refs costs ~10x a packed list."""
        loose = Path(self.repo.path, "refs", "heads", "dgm")
        if loose.is_dir() and sum(1 for _ in zip(range(threshold + 1), os.scandir(loose))) > threshold:
            self.repo.compress_references()

    def _commit_facts(self, commit_hex: str, cache: LoadCache | None = None) -> CommitFacts | None:
        """A commit's tree, first parent and subject (read once, then from the load cache); None if missing."""
        def read() -> CommitFacts:
            commit = self.repo[commit_hex]
            parents = commit.parent_ids
            return CommitFacts(str(commit.tree_id), str(parents[0]) if parents else None,
                               commit.message.split("\n", 1)[0])
        try:
            return cache.commit(commit_hex, read) if cache is not None else read()
        except (KeyError, ValueError):
            return None

    def _parent_agent(self, parent_hex: str | None, by_commit: Mapping[str, Agent],
                      cache: LoadCache | None = None) -> str | None:
        """The nearest ancestor from ``parent_hex`` on that is an agent (a human may have made several commits
        in between)."""
        while parent_hex is not None:
            if parent_hex in by_commit:
                return by_commit[parent_hex].id
            facts = self._commit_facts(parent_hex, cache)
            parent_hex = facts.parent if facts is not None else None
        return None

    def resolve(self, rev: str, snapshot: Snapshot | None = None) -> Agent:
        """An agent from a short id, a branch name (``dgm/<id>``) or any git revision."""
        snapshot = snapshot or self.load()
        if rev in snapshot.agents:
            return snapshot.agents[rev]
        for candidate in (f"refs/heads/dgm/{rev}", f"{REJECTED_PREFIX}{rev}", rev):
            try:
                commit = self.repo.revparse_single(candidate).peel(pygit2.Commit)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                continue
            agent = snapshot.agents.get(agent_id(str(commit.id)))
            if agent is not None:
                return agent
            raise ArchiveError(f"{rev} is commit {agent_id(str(commit.id))}, which is not an agent of this archive")
        raise ArchiveError(f"unknown agent {rev!r}: give an id from `gitdgm ls`, a dgm/ branch or a revision")

    def read_record(self, commit_hex: str) -> Record | None:
        raw = self.records.read(commit_hex)
        return Record.parse(raw) if raw is not None else None

    # --- writing --------------------------------------------------------------------------------------------
    def tree_from_directory(self, directory: Path, limits: Limits = Limits()) -> str:
        """Store a directory's files (modes and links kept, never followed; caches and .git skipped) as a tree."""
        return snapshot(directory, self.repo, limits)[0]

    def create_agent_commit(self, tree: str, parent: str | None, subject: str, body: str = "",
                            trailers: Mapping[str, str] | None = None,
                            author: pygit2.Signature | None = None) -> str:
        """A commit for a new agent; a nonce trailer keeps twin children (same tree and message) distinct."""
        lines = [subject.strip() or "Self-modification", ""]
        if body.strip():
            lines += [body.strip(), ""]
        all_trailers = {**(trailers or {}), "Gitdgm-Nonce": uuid.uuid4().hex[:16]}
        lines += [f"{key}: {value}" for key, value in all_trailers.items()]
        parents = [pygit2.Oid(hex=parent)] if parent else []
        oid = self.repo.create_commit(None, author or _GITDGM, self.committer(), "\n".join(lines) + "\n",
                                      pygit2.Oid(hex=tree), parents)
        return str(oid)

    def committer(self) -> pygit2.Signature:
        try:
            sig = self.repo.default_signature
            return pygit2.Signature("gitdgm", sig.email) if sig.name != "gitdgm" else sig
        except (KeyError, pygit2.GitError):
            return _GITDGM

    def set_branch(self, commit_hex: str) -> str:
        """Admit: ``refs/heads/dgm/<id>`` points at the agent (and any rejected ref is dropped)."""
        name = BRANCH_PREFIX + agent_id(commit_hex)
        self.repo.references.create(name, pygit2.Oid(hex=commit_hex), force=True)
        self._delete_ref(REJECTED_PREFIX + agent_id(commit_hex))
        return name

    def reject(self, commit_hex: str) -> str:
        """Move an agent out of ``git branch`` and selection, keeping it for inspection."""
        name = REJECTED_PREFIX + agent_id(commit_hex)
        self.repo.references.create(name, pygit2.Oid(hex=commit_hex), force=True)
        branch = BRANCH_PREFIX + agent_id(commit_hex)
        ref = self.repo.references.get(branch)
        if ref is not None and str(ref.target) == commit_hex:
            ref.delete()
        return name

    def _delete_ref(self, name: str) -> None:
        ref = self.repo.references.get(name)
        if ref is not None:
            ref.delete()

    def write_records(self, records: Mapping[str, Record], message: str = "gitdgm: update records") -> None:
        self.records.write({commit: rec.dumps() for commit, rec in records.items()}, message)

    def update_record(self, commit_hex: str, change: Callable[[Record | None], Record], message: str) -> Record:
        """Change one agent's record safely against concurrent writers (shards, parallel workers)."""
        result: list[Record] = []

        def apply(_commit: str, raw: bytes | None) -> bytes:
            result[:] = [change(Record.parse(raw) if raw is not None else None)]
            return result[0].dumps()

        self.records.update([commit_hex], apply, message)
        return result[0]

    def write_record(self, commit_hex: str, record: Record, message: str | None = None) -> None:
        self.write_records({commit_hex: record}, message or f"gitdgm: {record.status} {agent_id(commit_hex)}")

    # --- trees ----------------------------------------------------------------------------------------------
    def materialise(self, commit_hex: str, directory: Path) -> Path:
        """Write an agent's whole tree into ``directory`` (one checkout, independent of lineage depth)."""
        directory.mkdir(parents=True, exist_ok=True)
        tree = self.repo[commit_hex].peel(pygit2.Tree)
        self.repo.checkout_tree(tree, directory=str(directory),
                                strategy=CheckoutStrategy.FORCE | CheckoutStrategy.DONT_UPDATE_INDEX)
        return directory

    def diff(self, old: str | None, new: str) -> str:
        """The patch between two agents (or against the empty tree when ``old`` is None)."""
        new_tree = self.repo[new].peel(pygit2.Tree)
        if old is None:
            return new_tree.diff_to_tree(swap=True).patch or ""
        return self.repo.diff(self.repo[old].peel(pygit2.Tree), new_tree).patch or ""

    def file_text(self, commit_hex: str, path: str) -> str | None:
        try:
            return self.repo[self.repo[commit_hex].peel(pygit2.Tree)[path].id].data.decode("utf-8", "replace")
        except KeyError:
            return None

    def default_branch_file(self, path: str) -> bytes | None:
        """A file of the experiment (default branch): gitdgm.toml, custom suites."""
        if self.repo.workdir and Path(self.repo.workdir, path).is_file():
            return Path(self.repo.workdir, path).read_bytes()
        try:
            head = self.repo.head.peel(pygit2.Commit)
            return self.repo[head.tree[path].id].data
        except (KeyError, pygit2.GitError):
            return None

    def commit_files(self, files: Mapping[str, bytes], message: str) -> str:
        """Commit files onto the default branch: through the index and working tree when there is one, in
        memory for a bare archive."""
        repo = self.repo
        if repo.is_bare:
            index = pygit2.Index()
            if not repo.head_is_unborn:
                index.read_tree(repo.head.peel(pygit2.Commit).tree)
            for path, data in files.items():
                index.add(pygit2.IndexEntry(path, repo.create_blob(data), FileMode.BLOB))
        else:
            index = repo.index
            for path, data in files.items():
                target = Path(repo.workdir, path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                index.add(path)
            index.write()
        parents = [] if repo.head_is_unborn else [repo.head.target]
        sig = self.committer()
        return str(repo.create_commit("HEAD", sig, sig, message, index.write_tree(repo), parents))


def _seed_missing(lineage: Lineage, scan: health.RefScan) -> str:
    commit, end = min(lineage.broken.items())
    ref = scan.targets.get(commit, [f"refs/heads/dgm/{agent_id(commit)}"])[0].removeprefix("refs/heads/")
    return (f"the seed agent is missing: agent {agent_id(commit)} ({ref}) descends from no agent (its lineage ends "
            f"at commit {agent_id(end)}, which has neither a dgm/ branch nor a note in {RECORDS_REF}): restore the "
            "seed's branch and note from a copy of the archive (`gitdgm sync --fetch-only` from a remote that has "
            "them)")


def _summary_or_error(repo: pygit2.Repository, blob: pygit2.Oid) -> dict[str, Any]:
    """A note's summary, or ``{"error": ...}`` for a note that is not a gitdgm record (cached like a summary)."""
    try:
        return summary_of(repo.odb.read(blob)[1])  # the object database reads a blob 2x faster than repo[blob]
    except RecordError as exc:
        return {"error": str(exc)}


def parse_trailers(message: str) -> dict[str, str]:
    """``Key: value`` lines of a commit message's last paragraph."""
    last = message.strip().rsplit("\n\n", 1)[-1]
    pairs = (line.split(": ", 1) for line in last.splitlines() if ": " in line)
    return {key: value for key, value in pairs if key.replace("-", "").isalnum()}
