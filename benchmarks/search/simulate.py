"""One search run on a simulated landscape, in memory: gitdgm's own policies (``make_policy``: ``hgm.py``,
``generational.py``) and budget accounting (``SearchState``) decide every job, as in ``gitdgm run``; only the jobs'
work is simulated: an expansion draws the parent's next child from the landscape, an evaluation draws the
agent's fixed outcome on the task, and each job takes a random time on one of W workers (a discrete-event clock,
so the order jobs land in is asynchronous as in a real run, and a run takes milliseconds).

It lands jobs as ``engine/search.py`` does: a child that fails the functional check is a barren expansion, an
agent is admitted once one task shows it works (hgm) or when the policy says its evaluation is complete, and ten
barren expansions in a row end the run. A run starts from the seed evaluated on the whole suite, outside the
budget, so every policy starts from the same knowledge.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from landscape import Genome, Landscape

from gitdgm.config import Config
from gitdgm.engine.hgm import HgmPolicy, clade, own, posterior_mean
from gitdgm.engine.report import StepReport
from gitdgm.engine.search import BARREN_LIMIT
from gitdgm.engine.state import AgentState, Evaluate, Expand, Job, Policy, SearchState
from gitdgm.engine.step import make_policy


@dataclass(frozen=True)
class Timing:
    """How long jobs take, in units of a median task evaluation (log-normal: some tasks take much longer)."""

    expand: float = 3.0
    evaluate: float = 1.0
    spread: float = 0.6

    def duration(self, job: Job, rng: random.Random) -> float:
        median = self.expand if isinstance(job, Expand) else self.evaluate
        return median * rng.lognormvariate(0, self.spread)


@dataclass
class Run:
    """What a run did, with the ground truth to judge it by."""

    policy: str
    seed: int
    budget: int
    #: (evaluations spent, expansions started, true quality of the agent the policy then believed best), after
    #: each job landed
    curve: list[tuple[int, int, float]] = field(default_factory=list)
    agents: int = 0
    barren: int = 0
    evaluations: int = 0
    best: str | None = None
    quality: float = 0.0
    #: admitted agents with their score, clade estimate and true clade productivity (for the signal correlations)
    signals: list[tuple[float, float, float]] = field(default_factory=list)
    #: mean true quality of the working children made (what the policy's expansions found)
    children_quality: float = 0.0
    #: every child made, by genome id, with its (resolved, graded) tasks; (0, 0) for one the check rejected
    outcomes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def budget_to_reach(self, quality: float, expansion_cost: float = 0.0) -> float | None:
        """What was spent when the best-belief agent was first at least this good (None: never): evaluations, plus
        ``expansion_cost`` evaluations' worth for each expansion (a self-modification costs model calls too)."""
        return next((e + expansion_cost * x for e, x, q in self.curve if q >= quality), None)


MetaAgent = Literal["self", "seed"]
ParentsBy = Literal["clade", "own"]


class Simulation:
    def __init__(
        self,
        landscape: Landscape,
        config: Config,
        *,
        budget: int,
        seed: int,
        workers: int = 4,
        meta_agent: MetaAgent = "self",
        parents_by: ParentsBy = "clade",
        timing: Timing = Timing(),
    ) -> None:
        """``meta_agent`` "seed" is the DGM's "without self-improvement" ablation; ``parents_by`` "own" makes hgm
        draw parents by their own outcomes rather than their clade's (what the clade estimate adds)."""
        self.landscape, self.workers, self.timing = landscape, workers, timing
        #: who makes each change: the parent itself, or the seed under the fixed-meta-agent ablation
        self.implementer = landscape.seed_genome() if meta_agent == "seed" else None
        self.clock = random.Random(f"{seed}/clock")
        self.genomes: dict[str, Genome] = {}
        self.expansions: dict[str, int] = {}  # children asked of each parent so far
        self._barren_in_a_row = 0
        self._expansions_started = 0
        root = landscape.seed_genome()
        self.state = SearchState(landscape.tasks, {}, root.id, workers, max_evals=budget)
        seed_state = self.state.add(self._agent(root, None))
        seed_state.own = [int(landscape.solves(root, t)) for t in landscape.tasks]
        seed_state._tried = set(landscape.tasks)
        self.state.set_status(root.id, "evaluated", score_of(seed_state))
        self.policy: Policy = make_policy(
            config, landscape.tasks, StepReport(step="simulated"), config.selection.parents, seed, None
        )
        if isinstance(self.policy, HgmPolicy) and parents_by == "own":
            self.policy.parent_evidence = own
        self.run = Run(config.selection.policy, seed, budget)

    def go(self, signals: bool = False) -> Run:
        """Run jobs until the policy has none left (its budget spent) or ten expansions in a row were barren."""
        events: list[tuple[float, int, Callable[[], None]]] = []
        now, order = 0.0, 0
        while True:
            while len(events) < self.workers and self._barren_in_a_row < BARREN_LIMIT:
                job = self.policy.next_job(self.state)
                if job is None:
                    break
                land = self._start(job)
                self.state.submitted(job)
                order += 1
                heapq.heappush(events, (now + self.timing.duration(job, self.clock), order, land))
            if not events:
                break
            now, _, land = heapq.heappop(events)
            land()
            self._observe()
        return self._finish(signals)

    def _start(self, job: Job) -> Callable[[], None]:
        """Draw what the job will find (as it starts, in the order a real run's workers ask the model); returns
        how it lands."""
        if isinstance(job, Expand):
            self._expansions_started += 1
            parent = self.genomes[job.parent]
            k = self.expansions.get(parent.id, 0)
            self.expansions[parent.id] = k + 1
            child = self.landscape.child(parent, k, self.implementer)
            if child.broken:
                self.run.outcomes[child.id] = (0, 0)
            return partial(self._expanded, job, None if child.broken else child)
        if isinstance(job, Evaluate):
            solved = self.landscape.solves(self.genomes[job.agent], job.task)
            return partial(self._evaluated, job, "resolved" if solved else "unresolved")
        raise TypeError(f"a simulated run has no {job.kind} jobs")

    def _expanded(self, job: Expand, child: Genome | None) -> None:
        """A broken child is rejected by the functional check: a barren expansion, as in the engine."""
        self.state.landed(job, None if child is None else child.id)
        self._barren_in_a_row = self._barren_in_a_row + 1 if child is None else 0
        if child is not None:
            self.state.add(self._agent(child, job.parent))
            self.state.set_status(child.id, "evaluating")

    def _evaluated(self, job: Evaluate, outcome: str) -> None:
        """Every outcome of a working genome is a gradable patch, so its agent is admitted when the policy says so."""
        self.state.landed(job, outcome)
        agent = self.state.agents[job.agent]
        done = self.policy.complete(self.state, job.agent)
        admit = done or (self.policy.admit_early and not agent.admitted)
        self.state.set_status(job.agent, "evaluated" if admit or agent.admitted else "evaluating", score_of(agent))

    def _observe(self) -> None:
        best = self.policy.best(self.state)
        quality = self.landscape.quality(self.genomes[best]) if best is not None else 0.0
        point = (self.state.evals, self._expansions_started, quality)
        if not self.run.curve or self.run.curve[-1] != point:
            self.run.curve.append(point)

    def _agent(self, genome: Genome, parent: str | None) -> AgentState:
        self.genomes[genome.id] = genome
        return AgentState(genome.id, parent, "pending", order=len(self.state.agents), _tried=set())

    def _finish(self, signals: bool) -> Run:
        run, state = self.run, self.state
        run.agents, run.barren, run.evaluations = len(state.agents), state.barren, state.evals
        run.best = self.policy.best(state)
        run.quality = self.landscape.quality(self.genomes[run.best]) if run.best is not None else 0.0
        run.outcomes.update({a.id: (sum(a.own), len(a.own)) for a in state.agents.values()})
        run.children_quality = mean_quality(self.landscape, [g for g in self.genomes.values() if g.id != state.root])
        if signals:
            for agent in state.agents.values():
                if agent.admitted and agent.own:
                    truth = self.landscape.clade_productivity(self.genomes[agent.id], self.implementer)
                    run.signals.append((score_of(agent), posterior_mean(clade(state, agent.id)), truth))
        return run


def mean_quality(landscape: Landscape, genomes: list[Genome]) -> float:
    """The mean true quality of ``genomes`` (0 for none)."""
    return sum(landscape.quality(g) for g in genomes) / len(genomes) if genomes else 0.0


def score_of(agent: AgentState) -> float:
    """An agent's score as selection reads it: resolved over graded."""
    return sum(agent.own) / len(agent.own) if agent.own else 0.0
