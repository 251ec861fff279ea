"""The in-memory study against gitdgm's real loop on the same landscape, at small scale: for each seed, one run in
memory (``simulate.py``) and one through ``gitdgm run`` (``realloop.py``), with the same landscape, policy, seed,
budget and workers, so their results can be compared seed by seed.

With one worker, ``hgm`` decides alike in both (its candidates are in creation order), so the two runs make the same
agents with the same outcomes; ``dgm`` orders its candidates by agent id, which is a commit id in a real archive,
so its draws differ and only its results' distribution can agree.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from landscape import Landscape, Params
from realloop import landscape_tasks, real_run
from simulate import MetaAgent, Run, Simulation

from gitdgm.config import Config, PolicyName

TASKS = 6  # the small case: six builtin tasks, all in one stage, and a dozen evaluations
BUDGET = 12


@dataclass
class Pair:
    simulated: Run
    real: Run

    @property
    def identical(self) -> bool:
        """Whether both made the same agents with the same outcomes and believe the same one best."""
        return self.simulated.outcomes == self.real.outcomes and self.simulated.best == self.real.best


def small_config(policy: PolicyName, tasks: int = TASKS) -> Config:
    """The small case's config: every task in one stage, so ``dgm`` evaluates each child on the whole suite."""
    config = Config()
    config.selection.policy = policy
    config.eval.stages, config.eval.thresholds = [tasks], []
    return config


def paired_runs(
    params: Params,
    policy: PolicyName,
    seeds: range,
    *,
    budget: int = BUDGET,
    tasks: int = TASKS,
    workers: int = 1,
    meta_agent: MetaAgent = "self",
) -> list[Pair]:
    """One in-memory and one real run per seed (each real run in a temporary folder, removed after)."""
    config = small_config(policy, tasks)
    ids = [t.id for t in landscape_tasks(tasks)]
    pairs = []
    for seed in seeds:
        landscape = Landscape(params, seed=seed, tasks=ids)
        simulated = Simulation(landscape, config, budget=budget, seed=seed, workers=workers, meta_agent=meta_agent)
        with tempfile.TemporaryDirectory(prefix="gitdgm-landscape-") as folder:
            real = real_run(
                params,
                config,
                budget=budget,
                seed=seed,
                directory=Path(folder),
                tasks=tasks,
                workers=workers,
                meta_agent=meta_agent,
            )
        pairs.append(Pair(simulated.go(), real))
    return pairs
