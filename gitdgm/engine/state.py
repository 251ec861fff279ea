"""What a search policy sees: the archive as a tree of agents with their graded outcomes, and the work in flight.

The engine builds a ``SearchState`` from the archive's index once, then keeps it current as jobs start and land,
so a policy's decision never reloads the archive. Policies only read it and return the next ``Job``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Protocol

from gitdgm.archive import Agent, Snapshot


@dataclass(frozen=True)
class Expand:
    """Make one child of ``parent`` (diagnose, self-modify, functional check); ``draw`` says how it was chosen."""

    parent: str
    draw: dict[str, Any] = field(default_factory=dict, compare=False)

    kind = "expand"


@dataclass(frozen=True)
class Evaluate:
    """Run ``agent`` on one task; ``counted`` says whether it spends the run's evaluation budget."""

    agent: str
    task: str
    stage: int = 1
    counted: bool = True

    kind = "evaluate"


@dataclass(frozen=True)
class Settle:
    """Check a pending agent (empty, duplicate, functional check) before it is evaluated: catch-up work."""

    agent: str

    kind = "settle"


Job = Expand | Evaluate | Settle


class Policy(Protocol):
    """Decides the next job each time a worker is free (the engine calls it from one thread only)."""

    name: str
    #: whether an agent joins the archive as soon as one task shows it works (else when ``complete``)
    admit_early: bool

    def next_job(self, state: SearchState) -> Job | None:
        """The job to start now; None when there is nothing to start until a running job lands (the run ends
        when nothing is running either)."""
        ...

    def complete(self, state: SearchState, agent: str) -> bool:
        """Whether ``agent``'s evaluation is over (the engine then admits or rejects it)."""
        ...

    def best(self, state: SearchState) -> str | None:
        """The agent this policy believes best (what a run reports as its result)."""
        ...


@dataclass(frozen=True)
class Candidate:
    """An admitted agent as a generational policy weighs it."""

    id: str
    parent: str | None
    score: float
    children: int  # admitted children
    order: int = 0  # creation order: the newest agent has the highest


@dataclass
class AgentState:
    id: str
    parent: str | None
    status: str
    #: graded 0/1 outcomes, in the order they landed (never shared: clades are built as new lists)
    own: list[int] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    #: position in creation order (the newest agent has the highest)
    order: int = 0
    score: float | None = None
    #: task attempts left in error (not the agent's doing), to be run again
    errored: int = 0
    #: where the graded task ids come from, read on first use (a 10,000-agent archive reads no record up front)
    source: Agent | None = field(default=None, repr=False)
    _tried: set[str] | None = field(default=None, repr=False)

    @property
    def admitted(self) -> bool:
        return self.status == "evaluated"

    @property
    def live(self) -> bool:
        return self.status in ("pending", "evaluating", "evaluated")

    @property
    def tried(self) -> set[str]:
        """Task ids graded, or submitted and not yet landed."""
        if self._tried is None:
            record = self.source.record if self.source is not None and self.own else None
            self._tried = set(record.tasks) if record is not None else set()
        return self._tried

    @property
    def unsettled(self) -> bool:
        """Whether it has evaluation work: checked and not yet settled, or admitted with attempts in error."""
        return self.status == "evaluating" or (self.admitted and self.errored > 0)

    def untried_count(self, tasks: int) -> int:
        """Tasks of a suite of ``tasks`` not yet tried, without reading the record."""
        return tasks - (len(self._tried) if self._tried is not None else len(self.own))


@dataclass
class SearchState:
    tasks: tuple[str, ...]
    agents: dict[str, AgentState]
    root: str
    workers: int = 1
    #: evaluations submitted by this run that spend its budget (N in HGM.md)
    evals: int = 0
    max_evals: int | None = None
    #: expansions submitted and not yet landed
    expanding: int = 0
    #: expansions of this run that made no agent (no usable diagnosis, a failed self-modification)
    barren: int = 0
    #: tasks submitted and not yet landed, per agent
    running: dict[str, set[str]] = field(default_factory=dict)
    #: agents with evaluation work (``AgentState.unsettled``), kept as statuses change so no decision scans all
    unsettled: set[str] = field(default_factory=set)
    #: the admitted agents as candidates, by id, kept as statuses change (a draw does not rebuild 10,000)
    _candidates: dict[str, Candidate] = field(default_factory=dict, repr=False)
    _candidate_ids: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, tasks: tuple[str, ...], workers: int = 1) -> SearchState:
        """Each agent's outcomes come from its summary (resolved of attempted), so no full record is read."""
        ordered = sorted(snapshot.agents.values(), key=lambda a: (a.info.get("created_at") or "", a.id))
        agents = {a.id: _agent_state(a, n) for n, a in enumerate(ordered)}
        for agent in agents.values():
            if agent.parent in agents:
                agents[agent.parent].children.append(agent.id)
        unsettled = {a.id for a in agents.values() if a.unsettled}
        search = cls(tasks, agents, snapshot.seed().id, workers, unsettled=unsettled)
        search._candidate_ids = sorted(a.id for a in agents.values() if a.admitted)
        search._candidates = {a: search._candidate(a) for a in search._candidate_ids}
        return search

    def candidates(self) -> list[Candidate]:
        """The admitted agents, by id (a stable order, so that a seed reproduces a draw)."""
        return [self._candidates[a] for a in self._candidate_ids]

    def add_child(self, agent: Agent) -> AgentState:
        state = self.add(_agent_state(agent, len(self.agents)))
        self.follow(agent)
        return state

    def add(self, agent: AgentState) -> AgentState:
        """A new agent in the tree (its status is taken by ``set_status``)."""
        self.agents[agent.id] = agent
        if agent.parent in self.agents:
            self.agents[agent.parent].children.append(agent.id)
        return agent

    def follow(self, agent: Agent) -> None:
        """Take the status, score and errors the archive now holds for ``agent`` (after a job landed)."""
        self.set_status(agent.id, agent.status, agent.score, int(agent.info.get("errored") or 0))

    def set_status(self, agent: str, status: str, score: float | None = None, errored: int = 0) -> None:
        state = self.agents[agent]
        was_admitted = state.admitted
        state.status, state.score, state.errored = status, score, errored
        if state.unsettled:
            self.unsettled.add(agent)
        else:
            self.unsettled.discard(agent)
        if state.admitted != was_admitted:
            if state.admitted:
                bisect.insort(self._candidate_ids, agent)
            else:
                self._candidate_ids.remove(agent)
                self._candidates.pop(agent, None)
            if state.parent in self._candidates:  # its count of admitted children changed
                self._candidates[state.parent] = self._candidate(state.parent)
        if state.admitted:
            self._candidates[agent] = self._candidate(agent)

    def _candidate(self, agent: str) -> Candidate:
        state = self.agents[agent]
        children = sum(1 for c in state.children if self.agents[c].admitted)
        return Candidate(state.id, state.parent, state.score or 0.0, children, state.order)

    def untried(self, agent: str) -> list[str]:
        """The suite's tasks this agent has neither graded nor in flight, in the suite's order."""
        tried = self.agents[agent].tried
        return [t for t in self.tasks if t not in tried]

    def in_flight(self, agent: str) -> int:
        return len(self.running.get(agent, ()))

    def budget_left(self) -> bool:
        return self.max_evals is None or self.evals < self.max_evals

    def submitted(self, job: Job) -> None:
        if isinstance(job, Expand):
            self.expanding += 1
        elif isinstance(job, Evaluate):
            self.running.setdefault(job.agent, set()).add(job.task)
            self.agents[job.agent].tried.add(job.task)
            self.evals += job.counted

    def landed(self, job: Job, outcome: str | None) -> None:
        """For an evaluation, ``outcome`` is ``resolved``/``unresolved`` for a graded task; anything else gives
        its evaluation back to the budget: an ``error`` (not the agent's doing) stays tried until the next run,
        so a failing toolchain is not retried in a loop; None (a stopped run, the job never ran) returns the
        task to be tried. For an expansion it is the child's id, None when none was made."""
        if isinstance(job, Expand):
            self.expanding -= 1
            self.barren += outcome is None
        elif isinstance(job, Evaluate):
            self.running.get(job.agent, set()).discard(job.task)
            agent = self.agents[job.agent]
            if outcome in ("resolved", "unresolved"):
                agent.own.append(int(outcome == "resolved"))
                return
            self.evals -= job.counted
            if outcome is None:
                agent.tried.discard(job.task)

    def descendants(self, agent: str) -> list[str]:
        """Every strict descendant, parents before children."""
        out, stack = [], list(reversed(self.agents[agent].children))
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(reversed(self.agents[child].children))
        return out


def _agent_state(agent: Agent, order: int) -> AgentState:
    resolved, attempted = int(agent.info.get("resolved") or 0), int(agent.info.get("attempted") or 0)
    own = [1] * resolved + [0] * (attempted - resolved)
    errored = int(agent.info.get("errored") or 0)
    return AgentState(
        agent.id, agent.parent, agent.status, own, order=order, score=agent.score, errored=errored, source=agent
    )
