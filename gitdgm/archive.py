"""The archive: agents are commits, admitted ones have a ``dgm/<id>`` branch, records are notes.

All pygit2 use for agents lives here (notes layout in ``notes.py``, the record format in ``record.py``).
Layout and rules: docs/archive.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import CheckoutStrategy, FileMode

from gitdgm.errors import ArchiveError
from gitdgm.load_cache import CommitFacts, LoadCache
from gitdgm.notes import LOGS_REF, RECORDS_REF, NoteStore
from gitdgm.record import Record, RecordError, summarise, summary_of
from gitdgm.sandbox.readback import Limits
from gitdgm.workspace import snapshot

BRANCH_PREFIX = "refs/heads/dgm/"
REJECTED_PREFIX = "refs/dgm/rejected/"
ID_LENGTH = 12
_GITDGM = pygit2.Signature("gitdgm", "gitdgm@localhost")


def agent_id(commit_hex: str) -> str:
    return commit_hex[:ID_LENGTH]


@dataclass
class Agent:
    """An agent as listed: the record's summary fields; the full record is read on first use."""

    id: str
    commit: str
    tree: str
    parent: str | None
    summary: str
    info: dict[str, Any]  # the record's summary (record.SUMMARY_KEYS); empty for a pending agent
    ref: str | None
    children: list[str] = field(default_factory=list)
    _load_record: Callable[[], Record | None] | None = field(default=None, repr=False)
    _record: Record | None = field(default=None, repr=False)

    @property
    def record(self) -> Record | None:
        if self._record is None and self._load_record is not None:
            self._record, self._load_record = self._load_record(), None
        return self._record

    @property
    def status(self) -> str:
        """The note's status, except that a ``refs/dgm/rejected/`` ref always means rejected."""
        if self.ref is not None and self.ref.startswith(REJECTED_PREFIX):
            return "rejected"
        return self.info.get("status", "pending")

    @property
    def score(self) -> float | None:
        score = self.info.get("score")
        return float(score) if score is not None else None

    @property
    def admitted(self) -> bool:
        return self.status == "evaluated"

    @property
    def generation(self) -> int | None:
        return self.info.get("generation")


@dataclass
class Snapshot:
    """Every agent of the archive read in one pass, plus what could not be read."""

    agents: dict[str, Agent]
    warnings: list[str]

    def best(self) -> Agent | None:
        """The admitted agent with the highest score; ties go to the earliest generation, then the highest id, so
        every process names the same one (agents are listed in no fixed order)."""
        scored = [a for a in self.agents.values() if a.admitted and a.score is not None]
        top = max((a.score for a in scored), default=None)
        tied = [a for a in scored if a.score == top]  # the tie-break reads generations, so only for the few
        return max(tied, key=lambda a: (-self.generation_of(a), a.id), default=None)

    def seed(self) -> Agent:
        roots = [a for a in self.agents.values() if a.parent is None]
        if not roots:
            raise ArchiveError("the archive has no seed agent: run `gitdgm init` to create one")
        return min(roots, key=lambda a: (a.generation or 0, a.id))

    def generation_of(self, agent: Agent) -> int:
        if agent.generation is not None:
            return agent.generation
        return 0 if agent.parent is None else self.generation_of(self.agents[agent.parent]) + 1

    def pending(self) -> list[Agent]:
        """Agents with evaluation work left: never settled, or admitted with attempts that ended in error."""
        return sorted((a for a in self.agents.values()
                       if a.status in ("pending", "evaluating") or (a.admitted and a.info.get("errored"))),
                      key=lambda a: (self.generation_of(a), a.id))

    def duplicate_of(self, tree: str, exclude: str | None = None) -> Agent | None:
        """An evaluated or rejected agent with the same tree: identical trees are the same agent."""
        for agent in self.agents.values():
            if agent.tree == tree and agent.id != exclude and agent.status in ("evaluated", "rejected"):
                return agent
        return None


class Archive:
    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise ArchiveError(f"not a git repository: {path} (create an archive with `gitdgm init {path}`)")
        self.repo = pygit2.Repository(found)
        self.records = NoteStore(self.repo, RECORDS_REF)
        self.logs = NoteStore(self.repo, LOGS_REF)

    @property
    def path(self) -> Path:
        return Path(self.repo.workdir or self.repo.path)

    # --- reading --------------------------------------------------------------------------------------------
    def load(self) -> Snapshot:
        warnings: list[str] = []
        cache = LoadCache(Path(self.repo.path) / "gitdgm")
        infos: dict[str, dict[str, Any]] = {}
        blobs: dict[str, str] = {}
        for commit_hex, blob in self.records.entries():
            blobs[commit_hex] = str(blob)
            infos[commit_hex] = cache.summary(str(blob), lambda blob=blob: _summary_or_error(self.repo, blob))
            if "error" in infos[commit_hex]:
                warnings.append(f"agent {agent_id(commit_hex)}: note skipped: {infos[commit_hex]['error']}")
        refs = self._agent_refs()
        agents: dict[str, Agent] = {}
        first_parents: dict[str, str | None] = {}
        for commit_hex in set(infos) | set(refs):
            info = infos.get(commit_hex, {})
            if "error" in info:
                continue
            facts = self._commit_facts(commit_hex, cache)
            if facts is None:
                warnings.append(f"agent {agent_id(commit_hex)}: its commit is missing from the repository; skipped")
                continue
            blob = blobs.get(commit_hex)
            first_parents[agent_id(commit_hex)] = facts.parent
            agents[agent_id(commit_hex)] = Agent(
                id=agent_id(commit_hex), commit=commit_hex, tree=facts.tree, parent=None, summary=facts.subject,
                info=info, ref=refs.get(commit_hex),
                _load_record=(lambda c=commit_hex, b=blob: self._parse_note(c, b)) if blob else None)
        by_commit = {a.commit: a for a in agents.values()}
        for agent in agents.values():
            agent.parent = self._parent_agent(first_parents[agent.id], by_commit, cache)
            if agent.parent is not None:
                agents[agent.parent].children.append(agent.id)
            elif first_parents[agent.id] is not None:
                raise ArchiveError(f"the seed agent is missing: agent {agent.id}'s parent commit is not an agent "
                                   f"(restore its branch and note, or run `gitdgm init` in a new archive)")
        cache.save({"summaries": set(blobs.values()), "commits": set(by_commit)})
        return Snapshot(agents, warnings)

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
            raise ArchiveError(f"agent {agent_id(commit_hex)}: its note is not a gitdgm record: {exc}") from None

    def _agent_refs(self) -> dict[str, str]:
        refs: dict[str, str] = {}
        for ref in self.repo.references.iterator():
            name = ref.name
            if name.startswith(BRANCH_PREFIX) or name.startswith(REJECTED_PREFIX):
                refs.setdefault(str(ref.target), name)
        return refs

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
