"""The archive: every agent in an in-memory index, and the verbs that change agents and keep it current.

A step loads the index once (``load``: every ref and note summary in one pass) and then only changes it through
the verbs (``add_agent``, ``admit``, ``reject``, ``record_results``, ``adopt``, ``transplant``), each of which
writes git first and then updates the one agent it touched, under a lock: workers in several threads share one
``Archive``. Git storage is in store.py, which agents are agents in lineage.py, what is wrong with an archive
and its fix in health.py, the ref namespaces in refs.py. Layout and rules: docs/archive.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

import pygit2

from gitdgm.archive import health
from gitdgm.archive.cache import CommitFacts, LoadCache
from gitdgm.archive.index import Agent, Snapshot
from gitdgm.archive.lineage import Lineage, trace
from gitdgm.archive.notes import RECORDS_REF, read_blob
from gitdgm.archive.record import Record, RecordError, summarise, summary_of
from gitdgm.archive.refs import BRANCH_PREFIX, REJECTED_PREFIX, agent_id
from gitdgm.archive.store import GitStore, MergeConflict
from gitdgm.errors import ArchiveError

__all__ = ["Archive", "MergeConflict", "parse_trailers"]


class Archive(GitStore):
    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        super().__init__(path)
        self._index: Snapshot | None = None

    def idle_reason(self) -> str | None:
        """Why a step has nothing to do here (no agent it could select or settle), or None."""
        return health.idle_reason(self.repo, self.index)

    def require_fetched(self) -> None:
        """Fail, naming the command that fetches them, where the records were never fetched (a plain ``git
        clone``): a load would fail the same way, but a step says so before it starts its sandbox and gateway."""
        health.check_fetched(self.repo, health.scan_refs(self.repo), self.path)

    # --- the index ------------------------------------------------------------------------------------------
    @property
    def index(self) -> Snapshot:
        """Every agent as this process knows it: loaded on first use, then kept current by every write."""
        with self._lock:
            return self._index if self._index is not None else self.load()

    def load(self) -> Snapshot:
        """(Re)read every agent and its record's summary in one pass, as the new index; what cannot be read is
        a warning naming the ref or agent and the fix, and only an archive with nothing true to show (records
        never fetched) is an error."""
        with self._lock:
            self._index = None  # the old index is garbage before the new one is built: half the live objects
            self._index = self._read_all()
            return self._index

    def _read_all(self) -> Snapshot:
        cache = LoadCache(self.state_dir)
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
        warnings += [
            f"agent {agent_id(c)}: its commit is missing from the repository; skipped" for c in sorted(lineage.missing)
        ]
        warnings += health.skipped_refs(self.repo, lineage.skipped, scan, notes)
        agents: dict[str, Agent] = {}
        for commit_hex in lineage.agents():
            facts = lineage.facts[commit_hex]
            ref, blob = scan.targets.get(commit_hex, [None])[0], notes.get(commit_hex)
            parent, summary = lineage.parent[commit_hex], info(commit_hex)
            if "error" in summary:
                warnings.append(health.unreadable_note(self.repo, commit_hex, ref, summary["error"]))
            agents[agent_id(commit_hex)] = Agent(
                id=agent_id(commit_hex),
                commit=commit_hex,
                tree=facts.tree,
                summary=facts.subject,
                parent=agent_id(parent) if parent else None,
                info=summary,
                ref=ref,
                _load_record=functools.partial(self._parse_note, commit_hex, blob) if blob else None,
            )
        for agent in agents.values():
            if agent.parent is not None:
                agents[agent.parent].children.append(agent.id)
        cache.save({"summaries": {notes[c] for c in infos}, "commits": {a.commit for a in agents.values()}})
        return Snapshot(agents, warnings, agent_id(lineage.seed) if lineage.seed else None)

    def _changed(self, commit_hex: str, record: Record | None = None) -> None:
        if self._index is not None:
            self._refresh(commit_hex, record)

    def _refresh(self, commit_hex: str, record: Record | None = None) -> Agent:
        """Re-read one agent (new or changed) into the index: what a write costs instead of reloading 10,000.
        ``record`` is the note as just written (it is not parsed again)."""
        with self._lock:
            index = self._index if self._index is not None else self.load()
            blob = self.records.blob_id(commit_hex) if record is None else None
            if record is None and blob is not None:
                record = self._parse_note(commit_hex, blob)
            ref = next(
                (
                    name
                    for name in (BRANCH_PREFIX + agent_id(commit_hex), REJECTED_PREFIX + agent_id(commit_hex))
                    if (r := self.repo.references.get(name)) is not None and str(r.target) == commit_hex
                ),
                None,
            )
            agent = index.agents.get(agent_id(commit_hex))
            if agent is None:
                facts = self._commit_facts(commit_hex)
                if facts is None:
                    raise ArchiveError(f"agent {agent_id(commit_hex)}: its commit is missing from the repository")
                agent = Agent(
                    id=agent_id(commit_hex),
                    commit=commit_hex,
                    tree=facts.tree,
                    parent=None,
                    summary=facts.subject,
                    info={},
                    ref=ref,
                )
                agent.parent = self._parent_agent(facts.parent, index)
                index.agents[agent.id] = agent
                if agent.parent is not None:
                    index.agents[agent.parent].children.append(agent.id)
            agent.info = summarise(record) if record is not None else {}
            agent.ref, agent._record, agent._load_record = ref, record, None
            return agent

    def agent(self, commit_hex: str) -> Agent:
        """The index's agent for a commit, read into it if this process has not seen it yet."""
        with self._lock:
            found = self.index.agents.get(agent_id(commit_hex))
            return found if found is not None and found.commit == commit_hex else self._refresh(commit_hex)

    def _parse_note(self, commit_hex: str, blob: str) -> Record:
        """The full record; listing reads only its summary, so a bad task table is first seen here."""
        try:
            return Record.parse(read_blob(self.repo, blob))
        except RecordError as exc:
            raise ArchiveError(
                f"agent {agent_id(commit_hex)}: its note in {RECORDS_REF} is not a gitdgm record: "
                f"{exc}: {health.note_fix(self.repo, commit_hex, str(exc))}"
            ) from None

    def _commit_facts(self, commit_hex: str, cache: LoadCache | None = None) -> CommitFacts | None:
        """A commit's tree, first parent and subject (read once, then from the load cache); None if missing."""

        def read() -> CommitFacts:
            commit = self.repo[commit_hex].peel(pygit2.Commit)
            parents = commit.parent_ids
            return CommitFacts(
                str(commit.tree_id), str(parents[0]) if parents else None, commit.message.split("\n", 1)[0]
            )

        try:
            return cache.commit(commit_hex, read) if cache is not None else read()
        except (KeyError, ValueError):
            return None

    def _parent_agent(self, parent_hex: str | None, index: Snapshot) -> str | None:
        """The nearest ancestor from ``parent_hex`` on that is an agent (a human may have made several commits
        in between)."""
        while parent_hex is not None:
            known = index.agents.get(agent_id(parent_hex))
            if known is not None and known.commit == parent_hex:
                return known.id
            facts = self._commit_facts(parent_hex)
            parent_hex = facts.parent if facts is not None else None
        return None

    def resolve(self, rev: str) -> Agent:
        """An agent from a short id, a branch name (``dgm/<id>``) or any git revision."""
        agents = self.index.agents
        if rev in agents:
            return agents[rev]
        for candidate in (f"refs/heads/dgm/{rev}", f"{REJECTED_PREFIX}{rev}", rev):
            try:
                commit = self.repo.revparse_single(candidate).peel(pygit2.Commit)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                continue
            agent = agents.get(agent_id(str(commit.id)))
            if agent is not None:
                return agent
            raise ArchiveError(f"{rev} is commit {agent_id(str(commit.id))}, which is not an agent of this archive")
        raise ArchiveError(f"unknown agent {rev!r}: give an id from `gitdgm ls`, a dgm/ branch or a revision")

    # --- verbs: each writes git, then returns the agent as the index now holds it ---------------------------
    def add_agent(
        self,
        tree: str,
        parent: Agent | None,
        subject: str,
        body: str,
        trailers: Mapping[str, str],
        record: Record,
        author: tuple[str, str] | None = None,
    ) -> Agent:
        """A new agent: its commit (child of ``parent``), its branch, then its note (a kill in between leaves a
        branch without a note, which the next step adopts as pending)."""
        with self._lock:
            commit = self.create_agent_commit(tree, parent.commit if parent else None, subject, body, trailers, author)
            self.set_branch(commit)
            self.write_record(commit, record)
            return self.agent(commit)

    def admit(self, agent: Agent) -> Agent:
        """Into selection: its ``dgm/<id>`` branch (its note already says ``evaluated``)."""
        with self._lock:
            self.set_branch(agent.commit)
            return self.agent(agent.commit)

    def reject(self, agent: Agent, reason: str, **extra: Any) -> Agent:
        """Out of ``git branch`` and selection (``refs/dgm/rejected/<id>``), with the reason in its note."""

        def mark(record: Record | None) -> Record:
            record = record or Record.new(status="rejected", parent=agent.parent, generation=agent.generation or 0)
            record.data.update(status="rejected", reason=reason, **extra)
            return record

        with self._lock:
            self.move_to_rejected(agent.commit)
            self.update_record(agent.commit, mark, f"gitdgm: rejected {agent.id}")
            return self.agent(agent.commit)

    def record_results(self, agent: Agent, change: Callable[[Record | None], Record], message: str) -> Agent:
        """Change an agent's record (read-modify-write, safe against other writers); its ``record`` is the
        result."""
        with self._lock:
            self.update_record(agent.commit, change, message)
            return self.agent(agent.commit)

    def adopt(self, agent: Agent) -> Agent:
        """Give an agent made outside gitdgm (a cherry-pick, a commit onto ``dgm/<id>``) its own branch and a
        pending note, restoring the branch it was committed onto."""
        with self._lock:
            index = self.index
            if agent.ref and agent.ref.startswith(BRANCH_PREFIX) and agent.ref != BRANCH_PREFIX + agent.id:
                hijacked = index.agents.get(agent.ref.rsplit("/", 1)[1])
                self.set_branch(agent.commit)
                if hijacked is not None:
                    self.set_branch(hijacked.commit)
            if agent.record is None:
                parent = index.agents.get(agent.parent) if agent.parent else None
                generation = index.generation_of(parent) + 1 if parent else 0
                self.write_record(
                    agent.commit,
                    Record.new(
                        status="pending",
                        parent=agent.parent,
                        generation=generation,
                        origin="external",
                        summary=agent.summary,
                    ),
                )
            return self.agent(agent.commit)

    def transplant(self, improvement: Agent, onto: Agent, selected: dict[str, Any] | None = None) -> Agent:
        """A pending agent, child of ``onto``, whose tree is ``onto``'s with the change that made ``improvement``
        (its diff against its parent) applied; the message and note name both agents.

        Raises MergeConflict (nothing written) when the change does not apply or ``onto`` already has it."""
        if improvement.parent is None:
            raise MergeConflict(f"{improvement.id} is the seed: it has no change of its own to transplant")
        with self._lock:
            index = self.index
            try:
                tree = self.merge_change(index.agents[improvement.parent].commit, onto.commit, improvement.commit)
            except MergeConflict as exc:
                raise MergeConflict(
                    f"transplanting {improvement.id} onto {onto.id}: {exc}; nothing was written"
                ) from None
            subject = f"Transplant {improvement.id} onto {onto.id}: {improvement.summary}"[:120]
            body = f"The change that made agent {improvement.id} ({improvement.summary}) applied onto agent {onto.id}."
            generation = index.generation_of(onto) + 1
            trailers = {
                "Gitdgm-Parent": onto.id,
                "Gitdgm-Transplant-Of": improvement.id,
                "Gitdgm-Generation": str(generation),
            }
            return self.add_agent(
                tree,
                onto,
                subject,
                body,
                trailers,
                Record.new(
                    status="pending",
                    parent=onto.id,
                    generation=generation,
                    origin="transplant",
                    transplant_of=improvement.id,
                    onto=onto.id,
                    summary=subject,
                    selection=selected,
                ),
            )


def _seed_missing(lineage: Lineage, scan: health.RefScan) -> str:
    commit, end = min(lineage.broken.items())
    ref = scan.targets.get(commit, [f"refs/heads/dgm/{agent_id(commit)}"])[0].removeprefix("refs/heads/")
    return (
        f"the seed agent is missing: agent {agent_id(commit)} ({ref}) descends from no agent (its lineage ends "
        f"at commit {agent_id(end)}, which has neither a dgm/ branch nor a note in {RECORDS_REF}): restore the "
        "seed's branch and note from a copy of the archive (`gitdgm sync --fetch-only` from a remote that has "
        "them)"
    )


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
