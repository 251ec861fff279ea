"""A slice of the search, the CI entry: hold the lock, load, probe the model, then let the engine run the policy
(``search.py``: catch-up, expansions and evaluations on a pool of workers) or, for a CI fan-out, plan or collect.

Crash safety: every job's phase is written to a journal before it starts, a child's commit and branch exist before
its note, each task result lands in the note as it finishes, and settling an agent is idempotent. So a kill at
any point leaves a valid archive: work before a commit is discarded (no agent exists yet), and a committed child
is *pending* and is settled by the next step, which resumes its evaluation from the task results in its note.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Sequence
from typing import Any

from gitdgm.archive.lock import archive_lock
from gitdgm.config import Config
from gitdgm.engine.evaluate import stage_tasks
from gitdgm.engine.generation import Generation
from gitdgm.engine.generational import Generational
from gitdgm.engine.hgm import HgmPolicy
from gitdgm.engine.journal import Journal
from gitdgm.engine.progress import Progress
from gitdgm.engine.report import Outcome, StepReport
from gitdgm.engine.search import Search, new_run
from gitdgm.engine.services import Runtime
from gitdgm.engine.state import Policy
from gitdgm.errors import ArchiveError, BudgetExceeded, InfrastructureError, ModelUnavailable

log = logging.getLogger("gitdgm")


def run_step(
    rt: Runtime,
    *,
    parents: int | None = None,
    seed: int | None = None,
    mode: str = "full",
    shards: int = 1,
    generations: int | None = 1,
    max_evals: int | None = None,
    workers: int | None = None,
    resume: bool = False,
) -> StepReport:
    """A slice of the search on an open runtime (one generation by default); holds the archive's lock throughout.

    ``mode`` splits a step for a CI fan-out: ``plan`` breeds children but leaves them (and any pending agent)
    unevaluated and lists the work as a matrix of (agent, shard) for ``gitdgm eval --shard``; ``collect``
    settles pending agents from the shards' recorded results (nothing is run twice) and breeds nothing.
    ``resume`` continues the run a kill interrupted (same policy and budget), counting what it already spent.
    """
    archive, config = rt.archive, rt.config
    report = StepReport(step=uuid.uuid4().hex[:12], policy=config.selection.policy)
    with archive_lock(archive):
        journal = Journal(archive, report.step, rt.progress)
        previous = journal.previous()
        report.caught_up += _interrupted(previous)
        for warning in archive.load().warnings:  # once per step, under the lock; then kept current by the verbs
            log.warning("gitdgm: warning: %s", warning)
        if idle := archive.idle_reason():
            raise ArchiveError(idle)
        generation = Generation(rt, journal, report)
        try:
            if mode != "collect" and (down := rt.gateway.probe()):
                raise ModelUnavailable(f"{down}; this step made no child and judged no agent")
            if mode == "full":
                settings = new_run(
                    config.selection.policy,
                    workers or config.search.workers or config.eval.workers,
                    max_evals,
                    seed,
                    previous,
                    resume,
                )
                report.seed, report.run = settings.seed, settings.id
                tasks = [t.id for t in rt.suite.tasks]
                chosen = parents or config.selection.parents
                policy = make_policy(config, tasks, report, chosen, settings.seed, generations, rt.progress)
                search = Search(generation, policy, settings)
                search.run()
                report.workers, report.utilisation = settings.workers, search.usage.utilisation(settings.workers)
                report.evaluations = search.state.evals
                if (best := policy.best(search.state)) is not None:
                    report.best, report.best_score = best, search.state.agents[best].score
            if mode == "collect":
                generation.catch_up()
            if mode == "plan":
                generation.breed(parents or config.selection.parents, seed, settle_children=False)
                report.matrix = [
                    {"agent": a.id, "shard": f"{i}/{shards}"}
                    for a in archive.index.pending()
                    for i in range(1, shards + 1)
                ]
        except (BudgetExceeded, ModelUnavailable) as exc:
            report.stopped, report.exit_code = str(exc), exc.exit_code
        journal.done()
        archive.pack_refs()
    usage = rt.gateway.total
    report.cost_usd, report.tokens = usage.cost_usd, usage.total_tokens
    if report.errors and not report.exit_code:
        report.exit_code = InfrastructureError.exit_code
    if report.best is None and (best_agent := archive.index.best()) is not None:
        report.best, report.best_score = best_agent.id, best_agent.score
    return report


def make_policy(
    config: Config,
    tasks: Sequence[str],
    report: StepReport,
    parents: int,
    seed: int,
    generations: int | None,
    progress: Progress | None = None,
) -> Policy:
    """The configured policy over a suite's task ids: HGM's, or a weighting on the DGM's generational schedule
    (no runtime needed, so a simulated landscape runs the same policies: benchmarks/search)."""
    if config.selection.policy == "hgm":
        selection = config.selection
        return HgmPolicy(random.Random(seed), selection.widening, selection.cooldown, selection.best_min_evals)
    stages = stage_tasks(tasks, config.eval.stages)
    return Generational(config, stages, report, parents=parents, seed=seed, generations=generations, progress=progress)


def _interrupted(previous: dict[str, Any] | None) -> list[Outcome]:
    """What a killed run left in flight, each reported as dropped (its finished work is in the archive)."""
    if previous is None:
        return []
    return [
        Outcome(
            None,
            job.get("parent") or job.get("child"),
            "interrupted step",
            "discarded",
            reason=f"step {previous.get('step')} was killed in phase {job.get('phase')}; its unfinished work "
            "was dropped",
        )
        for job in (previous.get("jobs") or {}).values()
    ]
