"""The Huxley-Gödel Machine's policy (HGM.md): expand a parent chosen by its clade's record, or evaluate one agent on
one task, one decision per free worker, driven by a seeded RNG.

Pure: it reads a ``SearchState`` and returns the next ``Job``. Clade evidence is always a new list, never an
agent's own outcomes extended in place (the reference code's aliasing bug inflated every candidate's record).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gitdgm.engine.state import AgentState, Evaluate, Expand, Job, SearchState


def clade(state: SearchState, agent: str) -> list[int]:
    """The agent's own outcomes, then every strict descendant's: a new list, so no agent's ``own`` ever grows."""
    out = list(state.agents[agent].own)
    for descendant in state.descendants(agent):
        out.extend(state.agents[descendant].own)
    return out


def own(state: SearchState, agent: str) -> list[int]:
    """The agent's own outcomes (a new list)."""
    return list(state.agents[agent].own)


def beta_parameters(evidence: Sequence[int], scale: float = 1.0) -> tuple[float, float]:
    """Beta(1, 1) updated by 0/1 outcomes; ``scale`` (the cool-down) sharpens the posterior as the budget runs out."""
    wins = sum(evidence)
    return (1 + wins) * scale, (1 + len(evidence) - wins) * scale


def cooldown_scale(evals: int, max_evals: int | None, beta: float = 1.0) -> float:
    """``N_max^β / (N_max − N)^β``: grows as the budget is spent, so late draws exploit; 1.0 with no budget left."""
    if max_evals is None or evals >= max_evals:
        return 1.0
    return max_evals**beta / (max_evals - evals) ** beta


def thompson(ids: Sequence[str], evidence: Sequence[Sequence[int]], rng: random.Random, scale: float = 1.0) -> str:
    """One θ per candidate, drawn in order (so a seed reproduces the choice); the first of the largest wins."""
    thetas = [rng.betavariate(*beta_parameters(e, scale)) for e in evidence]
    return ids[max(range(len(ids)), key=thetas.__getitem__)]


def _grown(state: SearchState) -> int:
    """Agents made beyond the seed, rejected ones, barren expansions and expansions in flight included, so that
    expansions which keep failing still widen the tree and cannot be asked for forever."""
    return len(state.agents) + state.barren - 1 + state.expanding


def should_expand(state: SearchState, alpha: float) -> bool:
    """HGM's widening rule: expand iff ``N^α ≥ (agents − 1) + expansions in flight``."""
    return state.evals**alpha >= _grown(state)


def expansion_candidates(state: SearchState) -> list[str]:
    """Live agents with graded outcomes and a mean above zero, in creation order."""
    return [a.id for a in state.agents.values() if a.live and a.own and sum(a.own) > 0]


def posterior_mean(own: Sequence[int]) -> float:
    """Beta(1, 1) posterior mean: a lucky 1/1 agent scores 2/3, not 1."""
    return (1 + sum(own)) / (2 + len(own))


def choice_probabilities(state: SearchState, rng: random.Random, draws: int = 2000) -> dict[str, float]:
    """Monte-Carlo chance of each expansion candidate being drawn as parent (clade evidence, no cool-down)."""
    parents = expansion_candidates(state)
    if not parents:
        return {}
    evidence = [clade(state, p) for p in parents]
    counts = Counter(thompson(parents, evidence, rng) for _ in range(draws))
    return {p: counts[p] / draws for p in parents}


@dataclass
class HgmPolicy:
    """HGM.md's schedule: the seed on every task (uncounted), warm-start children of the root, then per free
    worker either an expansion (widening rule, Thompson over clades) or one counted task for one agent (Thompson
    over own outcomes), until ``max_evals`` evaluations have been submitted."""

    rng: random.Random
    alpha: float = 0.6
    cooldown: bool = False
    min_evals_best: int = 10
    #: what a parent is drawn by: its clade's outcomes (HGM); ``own`` outcomes only is the ablation that shows
    #: what the clade estimate itself adds (benchmarks/search/study.py)
    parent_evidence: Callable[[SearchState, str], list[int]] = clade

    name = "hgm"
    admit_early = True

    def next_job(self, state: SearchState) -> Job | None:
        """The seed's tasks first in suite order (no RNG drawn), then warm start, expand, evaluate, or wait."""
        root = state.root
        if untried := state.untried(root):
            return Evaluate(root, untried[0], counted=False)
        if state.in_flight(root) or not state.budget_left():
            return None
        if _grown(state) < max(1, min(5, math.floor(state.workers**self.alpha))):
            return Expand(root, draw={"policy": self.name, "reason": "warm"})
        parents = expansion_candidates(state)
        if parents and should_expand(state, self.alpha):
            return self._expand(state, parents, "widen")
        job = self._evaluate(state)
        if job is None and parents:  # nothing left to evaluate: expanding is the only useful work
            return self._expand(state, parents, "idle")
        return job

    def _scale(self, state: SearchState) -> float:
        return cooldown_scale(state.evals, state.max_evals) if self.cooldown else 1.0

    def _expand(self, state: SearchState, parents: list[str], reason: str) -> Expand:
        """Thompson over each candidate's parent evidence (its clade's, as HGM draws); the draw records it."""
        evidence = [self.parent_evidence(state, p) for p in parents]
        parent = thompson(parents, evidence, self.rng, self._scale(state))
        chosen = evidence[parents.index(parent)]
        draw = {"policy": self.name, "reason": reason, "candidates": len(parents)}
        return Expand(parent, draw={**draw, "successes": sum(chosen), "trials": len(chosen)})

    def _evaluate(self, state: SearchState) -> Evaluate | None:
        """Thompson over own outcomes among agents with untried tasks, then one of its untried tasks uniformly."""
        size = len(state.tasks)
        ids = [a.id for a in state.agents.values() if a.live and a.untried_count(size) > 0]
        while ids:
            chosen = thompson(ids, [state.agents[i].own for i in ids], self.rng, self._scale(state))
            if untried := state.untried(chosen):
                return Evaluate(chosen, self.rng.choice(untried), counted=True)
            ids.remove(chosen)  # the cheap count was stale (a record graded on other tasks): drop it, draw again
        return None

    def complete(self, state: SearchState, agent: str) -> bool:
        """Over when every task of the suite is graded: none untried, none in flight."""
        return not state.untried(agent) and not state.in_flight(agent)

    def best(self, state: SearchState) -> str | None:
        """Best belief: among live agents with at least ``min(min_evals_best, most outcomes of any live agent)``
        outcomes, the highest posterior mean ``(1 + s) / (2 + n)`` of own outcomes; ties go to more outcomes, then
        to the older agent (lower ``order``). None when no live agent has an outcome."""
        graded = [a for a in state.agents.values() if a.live and a.own]
        if not graded:
            return None
        need = min(self.min_evals_best, max(len(a.own) for a in graded))
        return min((a for a in graded if len(a.own) >= need), key=_rank).id


def _rank(agent: AgentState) -> tuple[float, int, int]:
    return -posterior_mean(agent.own), -len(agent.own), agent.order


def clade_counts(state: SearchState) -> dict[str, tuple[int, int]]:
    """Every agent's clade evidence as (resolved, tasks), in one pass over the tree (``gitdgm show``, the report)."""
    counts = {a.id: (sum(a.own), len(a.own)) for a in state.agents.values()}
    for agent in sorted(state.agents.values(), key=lambda a: -_depth(state, a.id)):  # children before parents
        if agent.parent in counts:
            (s, n), (ps, pn) = counts[agent.id], counts[agent.parent]
            counts[agent.parent] = (ps + s, pn + n)
    return counts


def _depth(state: SearchState, agent: str) -> int:
    depth, node = 0, state.agents[agent]
    while node.parent in state.agents:
        depth, node = depth + 1, state.agents[node.parent]
    return depth


def evidence_rows(state: SearchState, seed: int, draws: int = 2000) -> list[dict[str, Any]]:
    """Each expansion candidate with its clade evidence and its chance to be drawn as parent, the likeliest first."""
    chances = choice_probabilities(state, random.Random(seed), draws)
    rows = []
    for agent, chance in chances.items():
        evidence = clade(state, agent)
        score = state.agents[agent].score or 0.0
        rows.append({"id": agent, "score": score, "clade": f"{sum(evidence)}/{len(evidence)}", "probability": chance})
    return sorted(rows, key=lambda r: -r["probability"])
