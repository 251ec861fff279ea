"""Parent selection: small pure policies over the archive's admitted agents, driven by a seeded RNG.

A policy gives each candidate a probability; parents are drawn with replacement from those probabilities, so the
same archive, policy and seed always choose the same parents (the seed is recorded in the child's note). A new
weighting is one more function in ``POLICIES`` (candidates carry their parent and creation order); these run on
the DGM's generational schedule (``generational.py``). A policy that also decides what to evaluate, as the
Huxley-Gödel Machine's does (``hgm.py``), implements ``state.Policy`` itself.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from gitdgm.archive import Snapshot
from gitdgm.config import SelectionConfig
from gitdgm.engine.state import Candidate, SearchState

Policy = Callable[[Sequence[Candidate], SelectionConfig], list[float]]


def dgm_weights(candidates: Sequence[Candidate], config: SelectionConfig) -> list[float]:
    """The DGM paper's rule: sigmoid(λ·(score − α0)) · 1/(1 + admitted children)."""
    return [_sigmoid(config.lam * (c.score - config.alpha0)) / (1 + c.children) for c in candidates]


def best_weights(candidates: Sequence[Candidate], config: SelectionConfig) -> list[float]:
    """All the mass on the best score; among equals, on those with the fewest admitted children (so a hill
    climber moves on from an agent it has already improved on)."""
    top = min((-c.score, c.children) for c in candidates)
    return [1.0 if (-c.score, c.children) == top else 0.0 for c in candidates]


def random_weights(candidates: Sequence[Candidate], config: SelectionConfig) -> list[float]:
    return [1.0] * len(candidates)


def latest_weights(candidates: Sequence[Candidate], config: SelectionConfig) -> list[float]:
    """The DGM paper's "without open-ended exploration" ablation: always build on the newest admitted agent."""
    newest = max(c.order for c in candidates)
    return [1.0 if c.order == newest else 0.0 for c in candidates]


POLICIES: dict[str, Policy] = {
    "dgm": dgm_weights,
    "best": best_weights,
    "random": random_weights,
    "latest": latest_weights,
}


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def candidates(source: SearchState | Snapshot) -> list[Candidate]:
    """Admitted agents with a score, in a stable order (so a seed reproduces a choice)."""
    state = source if isinstance(source, SearchState) else SearchState.from_snapshot(source, ())
    return state.candidates()


def probabilities(cands: Sequence[Candidate], config: SelectionConfig) -> list[float]:
    weights = POLICIES[config.policy](cands, config)
    total = sum(weights)
    if total <= 0:  # every weight underflowed: fall back to uniform rather than refusing to breed
        return [1 / len(cands)] * len(cands)
    return [w / total for w in weights]


def choose(cands: Sequence[Candidate], k: int, config: SelectionConfig, seed: int) -> list[Candidate]:
    """``k`` parents drawn with replacement."""
    if not cands:
        return []
    return random.Random(seed).choices(list(cands), weights=probabilities(cands, config), k=k)
