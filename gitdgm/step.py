"""One generation of the Darwin Gödel Machine: catch up, select, diagnose, self-modify, check, evaluate, admit.

Crash safety: every phase is written to a journal before it starts, a child's commit and branch exist before its
note, and settling an agent (check → evaluate → admit/reject) is idempotent. So a kill at any point leaves a valid
archive: work before the commit is discarded (no agent exists yet), and a committed child is *pending* and is
settled by the next step, which resumes its evaluation from the task results already in its note.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pygit2

from gitdgm import health, selection
from gitdgm.archive import Agent, Archive, Snapshot
from gitdgm.diagnose import DiagnosisFailed, agent_code, diagnose
from gitdgm.errors import ArchiveError, BudgetExceeded, GitdgmError, InfrastructureError, ModelUnavailable
from gitdgm.evaluate import evaluate, functional, unpack_logs
from gitdgm.gateway import CallLimits
from gitdgm.lock import archive_lock
from gitdgm.progress import Progress
from gitdgm.record import Record
from gitdgm.runtime import Runtime
from gitdgm.selfmod import TransplantConflict, functional_check, self_modify, transplant, transplant_message
from gitdgm.workspace import AgentSpecError

log = logging.getLogger("gitdgm")
FAULT_ENV = "GITDGM_FAULT_PHASE"  # fault injection for the crash tests: SIGKILL this process at that phase


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"errors": self.errors}

    def markdown(self) -> str:
        lines = [f"## gitdgm step `{self.step}`", "",
                 f"Policy `{self.policy}` (seed {self.seed}) chose parents: "
                 f"{', '.join(f'`{p}`' for p in self.parents) or 'none'}.", "",
                 "| agent | parent | made by | status | score | note |", "| --- | --- | --- | --- | --- | --- |"]
        for o in self.caught_up + self.children:
            score = f"{o.score:.3f}" if o.score is not None else "-"
            lines.append(f"| `{o.id or '-'}` | `{o.parent or '-'}` | {o.origin} | {o.status} | {score} | "
                         f"{o.reason.replace('|', '/')[:120]} |")
        best = f"`{self.best}` at {self.best_score:.3f}" if self.best and self.best_score is not None else "none yet"
        lines += ["", f"Best agent: {best}. Model use this step: {self.tokens} tokens, ${self.cost_usd:.4f}."]
        if self.errors:
            lines += ["", f"**{self.errors} task attempt(s) ended in error** (not the agents' doing: nothing was "
                          "scored or rejected for them); the next step runs them again."]
        if self.stopped:
            lines += ["", f"**Stopped early:** {self.stopped}"]
        return "\n".join(lines) + "\n"

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.caught_up + self.children)


class Journal:
    """The step's current phase, written before the phase starts (``<git dir>/gitdgm/journal.json``) and then
    shown (``progress``): what the user sees running is what a kill would leave to resume."""

    def __init__(self, archive: Archive, step_id: str, progress: Progress | None = None) -> None:
        self.path = Path(archive.repo.path) / "gitdgm" / "journal.json"
        self.step_id = step_id
        self.progress = progress or Progress()

    def previous(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def phase(self, name: str, **info: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"step": self.step_id, "phase": name, "pid": os.getpid(), **info}))
        os.replace(tmp, self.path)
        if os.environ.get(FAULT_ENV) == name:
            os.kill(os.getpid(), signal.SIGKILL)
        self.progress.phase(name, info.get("child") or info.get("parent"))

    def done(self) -> None:
        self.path.unlink(missing_ok=True)


def run_step(rt: Runtime, *, parents: int | None = None, seed: int | None = None, mode: str = "full",
             shards: int = 1) -> StepReport:
    """One generation on an open runtime; holds the archive's lock throughout.

    ``mode`` splits a step for a CI fan-out: ``plan`` breeds children but leaves them (and any pending agent)
    unevaluated and lists the work as a matrix of (agent, shard) for ``gitdgm eval --shard``; ``collect``
    settles pending agents from the shards' recorded results (nothing is run twice) and breeds nothing.
    """
    archive = rt.archive
    report = StepReport(step=uuid.uuid4().hex[:12])
    with archive_lock(archive):
        journal = Journal(archive, report.step, rt.progress)
        interrupted = journal.previous()
        if interrupted:
            report.caught_up.append(Outcome(None, interrupted.get("parent"), "interrupted step", "discarded",
                                            reason=f"step {interrupted.get('step')} was killed in phase "
                                                   f"{interrupted.get('phase')}; its unfinished work was dropped"))
        snapshot = archive.load()  # once per step; then kept current agent by agent (archive.refresh)
        for warning in snapshot.warnings:
            log.warning("gitdgm: warning: %s", warning)
        if idle := health.idle_reason(archive.repo, snapshot):
            raise ArchiveError(idle)
        try:
            if mode != "collect" and (down := rt.gateway.probe()):
                raise ModelUnavailable(f"{down}; this step made no child and judged no agent")
            if mode != "plan":
                _catch_up(rt, snapshot, journal, report)
            if mode != "collect":
                _breed(rt, snapshot, journal, report, parents or rt.config.selection.parents, seed,
                       settle_children=mode == "full")
            if mode == "plan":
                report.matrix = [{"agent": a.id, "shard": f"{i}/{shards}"}
                                 for a in snapshot.pending() for i in range(1, shards + 1)]
        except (BudgetExceeded, ModelUnavailable) as exc:
            report.stopped, report.exit_code = str(exc), exc.exit_code
        journal.done()
        archive.pack_refs()
    usage = rt.gateway.total
    report.cost_usd, report.tokens = usage.cost_usd, usage.total_tokens
    if report.errors and not report.exit_code:
        report.exit_code = InfrastructureError.exit_code
    best = snapshot.best()
    if best is not None:
        report.best, report.best_score = best.id, best.score
    return report


def _catch_up(rt: Runtime, snapshot: Snapshot, journal: Journal, report: StepReport) -> None:
    """Settle agents that reached the archive without a finished evaluation (cherry-picks, killed steps), and
    run again the task attempts that ended in error."""
    for agent in snapshot.pending():
        rt.gateway.check_budget()
        journal.phase("catch-up", child=agent.id)
        report.caught_up.append(_shown(rt, settle(rt, snapshot, journal, _adopt(rt.archive, snapshot, agent),
                                                  "pending")))


def _shown(rt: Runtime, outcome: Outcome) -> Outcome:
    rt.progress.settled(outcome.id, outcome.status, outcome.score, outcome.reason)
    return outcome


def _adopt(archive: Archive, snapshot: Snapshot, agent: Agent) -> Agent:
    """Give an agent made outside gitdgm its own branch and a note (restoring a branch it was committed onto)."""
    if agent.ref and agent.ref.startswith("refs/heads/dgm/") and agent.ref != f"refs/heads/dgm/{agent.id}":
        hijacked = snapshot.agents.get(agent.ref.rsplit("/", 1)[1])
        archive.set_branch(agent.commit)
        if hijacked is not None:
            archive.set_branch(hijacked.commit)
            archive.refresh(snapshot, hijacked.commit)
    if agent.record is None:
        parent = snapshot.agents.get(agent.parent) if agent.parent else None
        generation = snapshot.generation_of(parent) + 1 if parent else 0
        archive.write_record(agent.commit, Record.new(status="pending", parent=agent.parent, generation=generation,
                                                      origin="external", summary=agent.summary))
    return archive.refresh(snapshot, agent.commit)


def settle(rt: Runtime, snapshot: Snapshot, journal: Journal, agent: Agent, origin: str) -> Outcome:
    """Check, evaluate, then admit or reject one agent; safe to repeat after a kill. An admitted agent with
    errored attempts is only evaluated again. Errors never reject: an agent with nothing else to judge it
    by stays pending (``deferred``)."""
    if agent.admitted:
        return _evaluate_and_admit(rt, snapshot, journal, agent, origin)
    parent = snapshot.agents.get(agent.parent) if agent.parent else None
    if parent is not None and agent.tree == parent.tree:
        return _reject(rt, snapshot, agent, origin, "empty self-modification: the tree equals its parent's")
    duplicate = snapshot.duplicate_of(agent.tree, exclude=agent.id)
    if duplicate is not None:
        return _reject(rt, snapshot, agent, origin, f"duplicate of agent {duplicate.id} (same tree)",
                       duplicate_of=duplicate.id)
    journal.phase("check", child=agent.id)
    problem = functional_check(rt, agent)
    if problem and agent.parent is None:
        raise GitdgmError(f"the seed agent {agent.id} fails its functional check ({problem}); fix the seed "
                          "agent and create the archive again")
    if problem:
        return _reject(rt, snapshot, agent, origin, f"functional check failed: {problem}")
    return _evaluate_and_admit(rt, snapshot, journal, agent, origin)


def _evaluate_and_admit(rt: Runtime, snapshot: Snapshot, journal: Journal, agent: Agent, origin: str) -> Outcome:
    journal.phase("evaluate", child=agent.id)
    try:
        record = evaluate(rt, agent)
    except AgentSpecError as exc:
        return _reject(rt, snapshot, agent, origin, str(exc))
    errors = len(record.errors)
    if not functional(record) and errors:
        rt.archive.refresh(snapshot, agent.commit)
        return Outcome(agent.id, agent.parent, origin, "deferred", record.score if record.tasks else None,
                       _errors_reason(record), errors)
    if not functional(record):
        return _reject(rt, snapshot, agent, origin, "no valid patch on any task")
    rt.archive.set_branch(agent.commit)
    rt.archive.refresh(snapshot, agent.commit)
    return Outcome(agent.id, agent.parent, origin, "evaluated", record.score,
                   _errors_reason(record) if errors else "", errors)


def _errors_reason(record: Record) -> str:
    first = next(iter(record.errors.items()))
    return f"{len(record.errors)} task(s) ended in error, to be run again (first: {first[0]}: {first[1].get('why')})"


def _reject(rt: Runtime, snapshot: Snapshot, agent: Agent, origin: str, reason: str, **extra: Any) -> Outcome:
    rt.archive.reject(agent.commit)

    def mark(record: Record | None) -> Record:
        record = record or Record.new(status="rejected", parent=agent.parent, generation=agent.generation or 0)
        record.data.update(status="rejected", reason=reason, **extra)
        return record

    rt.archive.update_record(agent.commit, mark, f"gitdgm: rejected {agent.id}")
    rt.archive.refresh(snapshot, agent.commit)
    return Outcome(agent.id, agent.parent, origin, "rejected", reason=reason)


def _breed(rt: Runtime, snapshot: Snapshot, journal: Journal, report: StepReport, count: int,
           seed: int | None, settle_children: bool = True) -> None:
    config = rt.config.selection
    report.policy = config.policy
    report.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    rt.progress.phase("select", detail=f"({config.policy}, seed {report.seed})")
    chosen = selection.choose(selection.candidates(snapshot), count, config, report.seed)
    report.parents = [c.id for c in chosen]
    rng = random.Random(report.seed)
    for k, cand in enumerate(chosen):
        rt.gateway.check_budget()
        parent = snapshot.agents[cand.id]
        selected = {"policy": config.policy, "seed": report.seed, "step": report.step, "draw": k}
        if rng.random() < rt.config.selfmod.transplant_share:
            outcome = _transplant_child(rt, snapshot, journal, parent, rng, selected, settle_children)
            if outcome is not None:
                report.children.append(_shown(rt, outcome))
                continue
        report.children.append(_shown(rt, _self_modified_child(rt, snapshot, journal, parent, rng, selected,
                                                               settle_children)))


def _self_modified_child(rt: Runtime, snapshot: Snapshot, journal: Journal, parent: Agent, rng: random.Random,
                         selected: dict[str, Any], settle_child: bool = True) -> Outcome:
    archive = rt.archive
    journal.phase("diagnose", parent=parent.id)
    record = parent.record or Record.new(status="evaluated", parent=None, generation=0)
    files = {path: data for path, data in _tree_files(archive, parent.commit)}
    role = rt.role("diagnosis")
    endpoint = rt.gateway.open_run(parent.id, "diagnosis", CallLimits(role.max_tokens, role.request_timeout))
    try:
        diagnosis = diagnose(socket=endpoint.socket, token=endpoint.token, role=role, code=agent_code(files),
                             record=record, logs=unpack_logs(archive.logs.read(parent.commit)), rng=rng,
                             attempts=rt.config.selfmod.diagnosis_attempts, suite=rt.suite)
    except DiagnosisFailed as exc:
        _stop_if_model_down(rt)
        return Outcome(None, parent.id, "self-modification", "no child", reason=str(exc))
    finally:
        diagnosis_usage = rt.gateway.close_run(endpoint.token)
    journal.phase("self-modify", parent=parent.id)
    statement = diagnosis.problem_statement()
    try:
        mod = self_modify(rt, parent, statement)
    except GitdgmError as exc:
        return Outcome(None, parent.id, "self-modification", "no child", reason=str(exc))
    if mod.run.usage.model_failures:  # a change made while the model failed is not the parent's best effort
        _stop_if_model_down(rt)
        return Outcome(None, parent.id, "self-modification", "no child",
                       reason=f"{mod.run.usage.model_failures} model call(s) failed while it modified itself")
    journal.phase("commit", parent=parent.id)
    generation = (parent.generation or 0) + 1
    commit = archive.create_agent_commit(
        mod.tree, parent.commit, diagnosis.subject, statement,
        {"Gitdgm-Parent": parent.id, "Gitdgm-Generation": str(generation), "Gitdgm-Model": rt.config.model.name},
        author=pygit2.Signature(f"agent {parent.id}", f"{parent.id}@agents.gitdgm.invalid"))
    archive.set_branch(commit)
    usage = diagnosis_usage + mod.run.usage
    archive.write_record(commit, Record.new(
        status="pending", parent=parent.id, generation=generation, origin="self-modification",
        summary=diagnosis.subject, model=rt.config.model.name, selection=selected,
        diagnosis=diagnosis.note(),
        creation={"tokens": usage.total_tokens, "tokens_estimated": usage.estimated_tokens,
                  "cost_usd": round(usage.cost_usd, 6),
                  "agent_exit_code": mod.run.result.exit_code, "agent_seconds": round(mod.run.result.duration, 2),
                  "timed_out": mod.run.result.timed_out}))
    return _settle_or_defer(rt, snapshot, journal, archive.refresh(snapshot, commit), "self-modification",
                            settle_child)


def _stop_if_model_down(rt: Runtime) -> None:
    """After a model failure: a model that is down ends the step (ModelUnavailable) rather than its parents."""
    rt.gateway.check_budget()
    if down := rt.gateway.probe():
        raise ModelUnavailable(f"{down}; the step stopped before making more children")


def _settle_or_defer(rt: Runtime, snapshot: Snapshot, journal: Journal, child: Agent, origin: str,
                     settle_child: bool) -> Outcome:
    if settle_child:
        return settle(rt, snapshot, journal, child, origin)
    return Outcome(child.id, child.parent, origin, "pending", reason="to be evaluated by the fan-out")


def _transplant_child(rt: Runtime, snapshot: Snapshot, journal: Journal, onto: Agent, rng: random.Random,
                      selected: dict[str, Any], settle_child: bool = True) -> Outcome | None:
    """Graft an admitted improvement from another lineage onto ``onto`` (None when no graft applies)."""
    lineage = set()
    node: Agent | None = onto
    while node is not None:
        lineage.add(node.id)
        node = snapshot.agents.get(node.parent) if node.parent else None
    improvements = [a for a in snapshot.agents.values() if a.admitted and a.parent and a.id not in lineage
                    and (a.score or 0) > (snapshot.agents[a.parent].score or 0)]
    rng.shuffle(improvements)
    for improvement in improvements[:5]:
        try:
            tree = transplant(rt.archive, improvement, onto, snapshot.agents[improvement.parent])
        except TransplantConflict:
            continue
        journal.phase("commit", parent=onto.id)
        commit = create_transplant(rt.archive, snapshot, improvement, onto, tree, selected)
        return _settle_or_defer(rt, snapshot, journal, rt.archive.refresh(snapshot, commit), "transplant",
                                settle_child)
    return None


def create_transplant(archive: Archive, snapshot: Snapshot, improvement: Agent, onto: Agent, tree: str,
                      selected: dict[str, Any] | None = None) -> str:
    """Commit a transplanted tree as a pending agent whose message and note name both agents."""
    subject, body, trailers = transplant_message(improvement, onto)
    generation = snapshot.generation_of(onto) + 1
    commit = archive.create_agent_commit(tree, onto.commit, subject, body,
                                         {**trailers, "Gitdgm-Generation": str(generation)})
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="pending", parent=onto.id, generation=generation,
                                            origin="transplant", transplant_of=improvement.id, onto=onto.id,
                                            summary=subject, selection=selected))
    return commit


def _tree_files(archive: Archive, commit: str) -> list[tuple[str, bytes]]:
    repo = archive.repo
    out: list[tuple[str, bytes]] = []
    stack = [("", repo[commit].peel(pygit2.Tree))]
    while stack:
        prefix, tree = stack.pop()
        for entry in tree:
            obj = repo[entry.id]
            if isinstance(obj, pygit2.Tree):
                stack.append((f"{prefix}{entry.name}/", obj))
            elif isinstance(obj, pygit2.Blob) and obj.size < 200_000:
                out.append((prefix + entry.name, obj.data))
    return out
