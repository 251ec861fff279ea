"""The archive as loaded: every agent's summary, its lineage, and what could not be read (``Archive.load``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitdgm.archive.record import Record
from gitdgm.archive.refs import REJECTED_PREFIX
from gitdgm.errors import ArchiveError

#: the status of an agent whose note is not a gitdgm record: listed, but out of selection and catch-up
UNREADABLE = "unreadable"


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
        """The note's status, except that a ``refs/dgm/rejected/`` ref always means rejected, and a note that
        cannot be read means ``unreadable`` (never ``pending``: a step would evaluate it again and overwrite it)."""
        if self.ref is not None and self.ref.startswith(REJECTED_PREFIX):
            return "rejected"
        if "error" in self.info:
            return UNREADABLE
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
    seed_id: str | None = None  # chosen by the loader among the root commits (see lineage.py)

    def best(self) -> Agent | None:
        """The admitted agent with the highest score; ties go to the earliest generation, then the highest id, so
        every process names the same one (agents are listed in no fixed order)."""
        scored = [(a, score) for a in list(self.agents.values()) if a.admitted and (score := a.score) is not None]
        top = max((score for _, score in scored), default=None)
        tied = [a for a, score in scored if score == top]  # the tie-break reads generations, so only for the few
        return max(tied, key=lambda a: (-self.generation_of(a), a.id), default=None)

    def seed(self) -> Agent:
        if self.seed_id in self.agents:
            return self.agents[self.seed_id]
        roots = [a for a in list(self.agents.values()) if a.parent is None]
        if not roots:
            raise ArchiveError(
                "the archive has no agents (no dgm/ branch points at one): create the seed with `gitdgm init`"
            )
        return min(roots, key=lambda a: (a.generation or 0, a.id))

    def generation_of(self, agent: Agent) -> int:
        if agent.generation is not None:
            return agent.generation
        return 0 if agent.parent is None else self.generation_of(self.agents[agent.parent]) + 1

    def pending(self) -> list[Agent]:
        """Agents with evaluation work left: never settled, or admitted with attempts that ended in error."""
        return sorted(
            (
                a
                for a in list(self.agents.values())
                if a.status in ("pending", "evaluating") or (a.admitted and a.info.get("errored"))
            ),
            key=lambda a: (self.generation_of(a), a.id),
        )

    def duplicate_of(self, tree: str, exclude: str | None = None) -> Agent | None:
        """An evaluated or rejected agent with the same tree: identical trees are the same agent."""
        for agent in list(self.agents.values()):
            if agent.tree == tree and agent.id != exclude and agent.status in ("evaluated", "rejected"):
                return agent
        return None
