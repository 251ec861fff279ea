"""The DGM's schedule on the engine: generations of parents drawn by a weighting, children made and evaluated in
parallel, each evaluated in stages; the next generation is drawn once every child of this one is settled.

What to evaluate comes first (agents being evaluated, oldest first, tasks in the suite's order), so pending work
and a new child's stages fill the workers before the next expansion; the weighting (``selection.POLICIES``:
``dgm``, ``best``, ``random``, ``latest``) only chooses parents. With the same seed a generation draws the same
parents as gitdgm 0.1's step did, whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitdgm.config import Config
from gitdgm.engine import selection
from gitdgm.engine.progress import Progress
from gitdgm.engine.report import StepReport
from gitdgm.engine.state import AgentState, Evaluate, Expand, Job, SearchState


class Generational:
    admit_early = False

    def __init__(
        self,
        config: Config,
        stages: Sequence[Sequence[str]],
        report: StepReport,
        *,
        parents: int,
        seed: int,
        generations: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.name: str = config.selection.policy
        self.selection = config.selection
        self.thresholds = config.eval.thresholds
        self.stages = [list(stage) for stage in stages]
        self.report = report
        self.progress = progress or Progress()
        self.parents, self.seed, self.generations = parents, seed, generations
        self.generation = 0  # generations drawn so far
        self._draws: list[str] = []  # parents of this generation not yet expanded

    def next_job(self, state: SearchState) -> Job | None:
        if not state.budget_left():
            return None
        for agent in self._being_evaluated(state):
            if (next_task := self._next_task(state, agent)) is not None:
                task, stage = next_task
                return Evaluate(agent.id, task, stage)
        if not self._draws and self._generation_over(state):
            self._draw(state)
        if self._draws:
            return Expand(self._draws.pop(0))
        return None

    def complete(self, state: SearchState, agent: str) -> bool:
        return not state.in_flight(agent) and self._next_task(state, state.agents[agent]) is None

    def best(self, state: SearchState) -> str | None:
        """The admitted agent with the highest score (the oldest among equals)."""
        admitted = [a for a in state.agents.values() if a.admitted]
        return max(admitted, key=lambda a: (a.score or 0.0, -a.order)).id if admitted else None

    def _being_evaluated(self, state: SearchState) -> list[AgentState]:
        """Agents with evaluation work: checked and not yet settled, or admitted with attempts left in error."""
        return sorted((state.agents[a] for a in state.unsettled), key=lambda a: a.order)

    def _next_task(self, state: SearchState, agent: AgentState) -> tuple[str, int] | None:
        """The first untried task of the stages ``agent`` has earned: stage k + 1 opens once stage k's tasks have
        all landed and the pooled resolve rate clears ``eval.thresholds[k]``."""
        for number, tasks in enumerate(self.stages, start=1):
            untried = [t for t in tasks if t not in agent.tried]
            if untried:
                return untried[0], number
            if any(t in state.running.get(agent.id, ()) for t in tasks):
                return None  # the stage is still running: its result decides the next
            if number > len(self.thresholds):
                return None
            own = agent.own
            if not own or sum(own) / len(own) < self.thresholds[number - 1]:
                return None
        return None

    def _generation_over(self, state: SearchState) -> bool:
        if self.generations is not None and self.generation >= self.generations:
            return False
        busy = state.expanding or any(state.running.values())
        return not busy and all(self._next_task(state, a) is None for a in self._being_evaluated(state))

    def _draw(self, state: SearchState) -> None:
        """This generation's parents, drawn with replacement by the weighting (the same seed, the same draw)."""
        seed = self.seed + self.generation
        chosen = selection.choose(selection.candidates(state), self.parents, self.selection, seed)
        self.progress.phase("select", detail=f"({self.name}, seed {seed})")
        self.generation += 1
        self._draws = [c.id for c in chosen]
        self.report.parents += self._draws
