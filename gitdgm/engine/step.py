"""One step of the Darwin Gödel Machine, the CI entry: catch up, select, diagnose, self-modify, check, evaluate,
admit (generation.py does the work; this holds the lock and decides what the step runs).

Crash safety: every phase is written to a journal before it starts, a child's commit and branch exist before its
note, and settling an agent is idempotent. So a kill at any point leaves a valid archive: work before the commit
is discarded (no agent exists yet), and a committed child is *pending* and is settled by the next step, which
resumes its evaluation from the task results already in its note.
"""

from __future__ import annotations

import logging
import uuid

from gitdgm.archive.lock import archive_lock
from gitdgm.engine.generation import Generation
from gitdgm.engine.journal import Journal
from gitdgm.engine.report import Outcome, StepReport
from gitdgm.engine.services import Runtime
from gitdgm.errors import ArchiveError, BudgetExceeded, InfrastructureError, ModelUnavailable

log = logging.getLogger("gitdgm")


def run_step(
    rt: Runtime, *, parents: int | None = None, seed: int | None = None, mode: str = "full", shards: int = 1
) -> StepReport:
    """One generation on an open runtime; holds the archive's lock throughout.

    ``mode`` splits a step for a CI fan-out: ``plan`` breeds children but leaves them (and any pending agent)
    unevaluated and lists the work as a matrix of (agent, shard) for ``gitdgm eval --shard``; ``collect``
    settles pending agents from the shards' recorded results (nothing is run twice) and breeds nothing.
    """
    archive = rt.archive
    report = StepReport(step=uuid.uuid4().hex[:12])
    with archive_lock(archive):
        journal = Journal(archive, report.step, rt.progress)
        if interrupted := journal.previous():
            report.caught_up.append(
                Outcome(
                    None,
                    interrupted.get("parent"),
                    "interrupted step",
                    "discarded",
                    reason=f"step {interrupted.get('step')} was killed in phase "
                    f"{interrupted.get('phase')}; its unfinished work was dropped",
                )
            )
        for warning in archive.load().warnings:  # once per step, under the lock; then kept current by the verbs
            log.warning("gitdgm: warning: %s", warning)
        if idle := archive.idle_reason():
            raise ArchiveError(idle)
        generation = Generation(rt, journal, report)
        try:
            if mode != "collect" and (down := rt.gateway.probe()):
                raise ModelUnavailable(f"{down}; this step made no child and judged no agent")
            if mode != "plan":
                generation.catch_up()
            if mode != "collect":
                generation.breed(parents or rt.config.selection.parents, seed, settle_children=mode == "full")
            if mode == "plan":
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
    if (best := archive.index.best()) is not None:
        report.best, report.best_score = best.id, best.score
    return report
