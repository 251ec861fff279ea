"""What a step did, for people (``markdown``: the CI job summary) and machines (``as_dict``: ``--json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    id: str | None
    parent: str | None
    origin: str
    status: str
    score: float | None = None
    reason: str = ""
    errors: int = 0  # task attempts left in error (not the agent's doing), to be run again


@dataclass
class StepReport:
    step: str
    policy: str = ""
    seed: int = 0
    parents: list[str] = field(default_factory=list)
    caught_up: list[Outcome] = field(default_factory=list)
    children: list[Outcome] = field(default_factory=list)
    best: str | None = None
    best_score: float | None = None
    cost_usd: float = 0.0
    tokens: int = 0
    stopped: str = ""
    exit_code: int = 0  # what the command exits with: BudgetExceeded's, InfrastructureError's, or 0
    matrix: list[dict[str, str]] = field(default_factory=list)  # plan mode: the evaluation work to fan out
    run: str = ""  # the run's id, in each record it made
    workers: int = 0
    evaluations: int = 0  # task evaluations spent from the run's budget
    utilisation: float = 0.0  # busy worker-seconds / (workers × wall-clock)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"errors": self.errors}

    def markdown(self) -> str:
        lines = [
            f"## gitdgm step `{self.step}`",
            "",
            f"Policy `{self.policy}` (seed {self.seed}) chose parents: "
            f"{', '.join(f'`{p}`' for p in self.parents) or 'none'}.",
            "",
            "| agent | parent | made by | status | score | note |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for o in self.caught_up + self.children:
            score = f"{o.score:.3f}" if o.score is not None else "-"
            lines.append(
                f"| `{o.id or '-'}` | `{o.parent or '-'}` | {o.origin} | {o.status} | {score} | "
                f"{o.reason.replace('|', '/')[:120]} |"
            )
        best = f"`{self.best}` at {self.best_score:.3f}" if self.best and self.best_score is not None else "none yet"
        lines += ["", f"Best agent: {best}. Model use this step: {self.tokens} tokens, ${self.cost_usd:.4f}."]
        if self.workers:
            lines += [
                "",
                f"Run `{self.run}`: {self.evaluations} task evaluation(s) spent, {self.workers} worker(s) "
                f"{self.utilisation:.0%} busy.",
            ]
        if self.errors:
            lines += [
                "",
                f"**{self.errors} task attempt(s) ended in error** (not the agents' doing: nothing was "
                "scored or rejected for them); the next step runs them again.",
            ]
        if self.stopped:
            lines += ["", f"**Stopped early:** {self.stopped}"]
        return "\n".join(lines) + "\n"

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.caught_up + self.children)
