"""A simulated landscape of self-improving coding agents whose ground truth is known.

An agent is a ``Genome``: an *ability* (logit scale) that sets its true chance of solving each task, and a
*meta* skill that, with its ability, sets how good the changes it makes to an agent are. Tasks have fixed
difficulties spread as a normal distribution's quantiles, so agent ``g`` solves task ``t`` with probability
``sigmoid(g.ability − difficulty[t])`` and its true quality is that probability averaged over the suite.

A change made by an implementer of skill ``s = meta + skill_weight · ability`` (the agent itself, or the seed
under the "without self-improvement" ablation) is one of:

- *broken* (the child fails the functional check), with probability ``sigmoid(logit(broken) − s)``;
- a *stepping stone*, with probability ``stepping``: ability falls (by Exp(loss / 2)) but meta skill rises (by
  Exp(meta_gain)), so it scores worse and makes better children;
- otherwise an *improvement*, with probability ``sigmoid(logit(improve) + s)`` of what is left (ability rises
  by Exp(gain)); of the rest, ``neutral`` are *neutral* (ability moves by N(0, 0.05)) and the others *harmful*
  (ability falls by Exp(loss)).

Meta skill also drifts by N(0, meta_drift) on every change but a stepping stone. A better agent thus makes
better children, most changes are neutral or harmful, and a stepping stone lowers the score but raises the
children's: the three things a DGM's archive exists for.

Every draw is keyed, so the landscape is a fixed function of its seed: the k-th child of a genome and the outcome
of a genome on a task are the same whoever asks, in memory or from the scripted model of a real run.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from statistics import NormalDist, fmean

KINDS = ("broken", "stepping", "improvement", "neutral", "harmful")
#: abilities where quality is read off a table (linear interpolation, error below 1e-5); exact outside it
_TABLE_LOW, _TABLE_HIGH, _TABLE_STEP = -12.0, 16.0, 0.01


@dataclass(frozen=True)
class Params:
    """The landscape's parameters; the defaults are calibrated so that ``dgm``'s curve has the shape of the DGM
    paper's (a seed near 20% rising towards 50% over 800 evaluations): a calibration, not evidence."""

    tasks: int = 60
    #: task difficulties: quantiles of N(difficulty_mean, difficulty_spread²), on the ability's logit scale
    difficulty_mean: float = 2.0
    difficulty_spread: float = 1.5
    seed_ability: float = 0.0
    seed_meta: float = 0.0
    #: chance that a change by an implementer of skill 0 breaks the agent
    broken: float = 0.2
    #: chance that a change is a stepping stone (whatever the skill)
    stepping: float = 0.1
    #: chance that a change (neither broken nor a stepping stone) by an implementer of skill 0 improves the agent
    improve: float = 0.25
    #: share of the remaining changes that are neutral (the others are harmful)
    neutral: float = 0.6
    gain: float = 0.5
    loss: float = 0.35
    meta_gain: float = 0.6
    meta_drift: float = 0.1
    #: how much an implementer's ability adds to its skill at changing an agent (a better agent, better children)
    skill_weight: float = 0.5


_GENOME_LINE = re.compile(
    r"Landscape genome: id=(?P<id>[0-9.]+) ability=(?P<ability>\S+) meta=(?P<meta>\S+) kind=(?P<kind>[a-z]+)"
)


@dataclass(frozen=True)
class Genome:
    id: str  # the path from the seed: "0", "0.3" (the seed's fourth child), ...
    ability: float
    meta: float
    kind: str = "seed"  # the change that made it (one of KINDS), "seed" for the seed

    @property
    def broken(self) -> bool:
        return self.kind == "broken"

    def line(self) -> str:
        """How the genome is written in an agent's tree (floats round-trip exactly)."""
        return f"Landscape genome: id={self.id} ability={self.ability!r} meta={self.meta!r} kind={self.kind}"

    @classmethod
    def parse(cls, text: str) -> Genome | None:
        """The last genome line in ``text`` (None when there is none)."""
        found = list(_GENOME_LINE.finditer(text))
        if not found:
            return None
        g = found[-1]
        return cls(g["id"], float(g["ability"]), float(g["meta"]), g["kind"])


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


class Landscape:
    """The ground truth: tasks' difficulties, genomes' outcomes and children, all keyed by ``seed``."""

    def __init__(self, params: Params = Params(), seed: int = 0, tasks: list[str] | None = None) -> None:
        self.params, self.seed = params, seed
        self.tasks = tuple(tasks) if tasks is not None else tuple(f"t{n:03d}" for n in range(params.tasks))
        spread = NormalDist(params.difficulty_mean, params.difficulty_spread)
        count = len(self.tasks)
        self.difficulty = {t: spread.inv_cdf((n + 0.5) / count) for n, t in enumerate(self.tasks)}
        steps = round((_TABLE_HIGH - _TABLE_LOW) / _TABLE_STEP)
        self._quality = [self._exact_quality(_TABLE_LOW + k * _TABLE_STEP) for k in range(steps + 1)]

    def seed_genome(self) -> Genome:
        return Genome("0", self.params.seed_ability, self.params.seed_meta)

    def solve_probability(self, genome: Genome, task: str) -> float:
        return 0.0 if genome.broken else sigmoid(genome.ability - self.difficulty[task])

    def quality(self, genome: Genome) -> float:
        """True quality: the expected share of the suite solved (a function of ability alone, so it is read off a
        fine table: the clade rollouts need it hundreds of thousands of times)."""
        if genome.broken:
            return 0.0
        position = (genome.ability - _TABLE_LOW) / _TABLE_STEP
        k = int(position)
        if not 0 <= k < len(self._quality) - 1:
            return self._exact_quality(genome.ability)
        low, high = self._quality[k], self._quality[k + 1]
        return low + (high - low) * (position - k)

    def _exact_quality(self, ability: float) -> float:
        return fmean(sigmoid(ability - d) for d in self.difficulty.values())

    def solves(self, genome: Genome, task: str) -> bool:
        """The outcome of ``genome`` on ``task``: one fixed draw per pair (a task is evaluated once per agent)."""
        return random.Random(f"{self.seed}/solve/{genome.id}/{task}").random() < self.solve_probability(genome, task)

    def skill(self, implementer: Genome) -> float:
        return implementer.meta + self.params.skill_weight * implementer.ability

    def change_probabilities(self, implementer: Genome) -> dict[str, float]:
        """The chance of each kind of change this implementer makes (they sum to 1)."""
        p, s = self.params, self.skill(implementer)
        broken = sigmoid(logit(p.broken) - s)
        stepping = (1 - broken) * p.stepping
        rest = 1 - broken - stepping
        improvement = rest * sigmoid(logit(p.improve) + s)
        neutral = (rest - improvement) * p.neutral
        return {
            "broken": broken,
            "stepping": stepping,
            "improvement": improvement,
            "neutral": neutral,
            "harmful": rest - improvement - neutral,
        }

    def child(self, parent: Genome, k: int, implementer: Genome | None = None) -> Genome:
        """The ``k``-th child of ``parent`` (counting from 0), changed by ``implementer`` (the parent itself unless
        an ablation fixes the meta agent)."""
        return self.draw_child(
            parent, implementer or parent, random.Random(f"{self.seed}/child/{parent.id}/{k}"), f"{parent.id}.{k}"
        )

    def draw_child(self, parent: Genome, implementer: Genome, rng: random.Random, child_id: str) -> Genome:
        p = self.params
        weights = self.change_probabilities(implementer)
        kind = rng.choices(KINDS, weights=[weights[k] for k in KINDS])[0]
        ability, meta = parent.ability, parent.meta + rng.gauss(0, p.meta_drift)
        if kind == "stepping":
            ability, meta = ability - rng.expovariate(2 / p.loss), parent.meta + rng.expovariate(1 / p.meta_gain)
        elif kind == "improvement":
            ability += rng.expovariate(1 / p.gain)
        elif kind == "neutral":
            ability += rng.gauss(0, 0.05)
        elif kind == "harmful":
            ability -= rng.expovariate(1 / p.loss)
        return Genome(child_id, ability, meta, kind)

    def clade_productivity(
        self, genome: Genome, implementer: Genome | None = None, *, size: int = 8, rollouts: int = 64
    ) -> float:
        """True clade productivity: the expected best true quality among ``size`` descendants grown from
        ``genome``, each a child of a uniformly chosen working member of the clade so far (``genome`` itself is
        left out: what is measured is how good what it leads to is). Monte Carlo over ``rollouts`` fresh clades,
        the same number for the same arguments; ``implementer`` fixes the meta agent as in the ablation."""
        rng = random.Random(f"{self.seed}/clade/{genome.id}")
        best = []
        for _ in range(rollouts):
            clade, top = [genome], 0.0
            for n in range(size):
                parent = rng.choice(clade)
                child = self.draw_child(parent, implementer or parent, rng, f"{genome.id}+{n}")
                if not child.broken:
                    clade.append(child)
                    top = max(top, self.quality(child))
            best.append(top)
        return fmean(best)
