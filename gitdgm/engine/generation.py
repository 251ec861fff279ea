"""One generation's work: settle what is pending, then breed children from chosen parents and settle them.

A ``Generation`` holds what the step's phases share: the services (``rt``), the journal and the report. The
archive's index is the archive's own: every verb returns the agent as it now stands, so nothing here reloads or
refreshes it. Settling an agent (check → evaluate → admit or reject) is idempotent, so a killed step's work is
finished by the next one.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from gitdgm.archive import Agent, Archive, Record
from gitdgm.archive.repository import MergeConflict
from gitdgm.engine import selection
from gitdgm.engine.diagnose import DiagnosisFailed, agent_code, diagnose
from gitdgm.engine.evaluate import evaluate, functional
from gitdgm.engine.functional import functional_check
from gitdgm.engine.journal import Journal
from gitdgm.engine.protocol import AgentSpecError
from gitdgm.engine.report import Outcome, StepReport
from gitdgm.engine.selfmod import SELF_MODIFICATION, self_modify
from gitdgm.engine.services import Runtime
from gitdgm.errors import GitdgmError, ModelUnavailable
from gitdgm.gateway import CallLimits

TRANSPLANT_TRIES = 5  # improvements tried before a transplant draw falls back to a self-modification


class Generation:
    def __init__(self, rt: Runtime, journal: Journal, report: StepReport | None = None) -> None:
        self.rt = rt
        self.journal = journal
        self.report = report or StepReport(step=journal.step_id)
        self._claims: dict[str, str] = {}  # tree → the agent checked for it in this run (not yet settled in git)
        self._claims_lock = threading.Lock()

    @property
    def archive(self) -> Archive:
        return self.rt.archive

    # --- catching up ----------------------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Settle agents that reached the archive without a finished evaluation (cherry-picks, killed steps),
        and run again the task attempts that ended in error."""
        for agent in self.archive.index.pending():
            self.rt.gateway.check_budget()
            self.journal.phase("catch-up", child=agent.id)
            self.report.caught_up.append(self._shown(self.settle(self.archive.adopt(agent), "pending")))

    def settle(self, agent: Agent, origin: str) -> Outcome:
        """Check, evaluate, then admit or reject one agent; safe to repeat after a kill. An admitted agent with
        errored attempts is only evaluated again. Errors never reject: an agent with nothing else to judge it
        by stays pending (``deferred``)."""
        if agent.admitted:
            return self._evaluate_and_admit(agent, origin)
        checked = self.check(agent, origin)
        return checked if isinstance(checked, Outcome) else self._evaluate_and_admit(checked, origin)

    def check(self, agent: Agent, origin: str) -> Agent | Outcome:
        """Reject what is not worth evaluating (a tree equal to its parent's or to another agent's, a failed
        functional check); the agent, when it is."""
        index = self.archive.index
        parent = index.agents.get(agent.parent) if agent.parent else None
        if parent is not None and agent.tree == parent.tree:
            return self.reject(agent, origin, "empty self-modification: the tree equals its parent's")
        with self._claims_lock:  # twins made at once by two workers: the first to get here is the agent
            duplicate = index.duplicate_of(agent.tree, exclude=agent.id)
            claimant = self._claims.setdefault(agent.tree, agent.id) if duplicate is None else agent.id
        duplicate = duplicate or (index.agents.get(claimant) if claimant != agent.id else None)
        if duplicate is not None:
            return self.reject(
                agent, origin, f"duplicate of agent {duplicate.id} (same tree)", duplicate_of=duplicate.id
            )
        self.journal.phase("check", child=agent.id)
        problem = functional_check(self.rt, agent)
        if problem and agent.parent is None:
            raise GitdgmError(
                f"the seed agent {agent.id} fails its functional check ({problem}); fix the seed "
                "agent and create the archive again"
            )
        if problem:
            return self.reject(agent, origin, f"functional check failed: {problem}")
        return agent

    def _evaluate_and_admit(self, agent: Agent, origin: str) -> Outcome:
        self.journal.phase("evaluate", child=agent.id)
        try:
            record = evaluate(self.rt, agent)
        except AgentSpecError as exc:
            return self.reject(agent, origin, str(exc))
        return self.judge(agent, record, origin)

    def judge(self, agent: Agent, record: Record, origin: str) -> Outcome:
        """After its evaluation: admit an agent that produced a gradable patch; reject one that did not; leave one
        with nothing but errors pending (``deferred``), since errors are never the agent's doing."""
        errors = len(record.errors)
        if not functional(record) and errors:
            return Outcome(
                agent.id,
                agent.parent,
                origin,
                "deferred",
                record.score if record.tasks else None,
                _errors_reason(record),
                errors,
            )
        if not functional(record):
            return self.reject(agent, origin, "no valid patch on any task")
        self.archive.admit(agent)
        return Outcome(
            agent.id, agent.parent, origin, "evaluated", record.score, _errors_reason(record) if errors else "", errors
        )

    def reject(self, agent: Agent, origin: str, reason: str, **extra: Any) -> Outcome:
        self.archive.reject(agent, reason, **extra)
        return Outcome(agent.id, agent.parent, origin, "rejected", reason=reason)

    def _shown(self, outcome: Outcome) -> Outcome:
        self.rt.progress.settled(outcome.id, outcome.status, outcome.score, outcome.reason)
        return outcome

    # --- breeding -------------------------------------------------------------------------------------------
    def breed(self, count: int, seed: int | None, settle_children: bool = True) -> None:
        """Draw ``count`` parents with the configured policy and make one child of each (a transplant when the
        draw says so and one applies, else a self-modification); ``settle_children`` False leaves them pending
        for a fan-out."""
        config, report = self.rt.config.selection, self.report
        report.policy = config.policy
        report.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self.rt.progress.phase("select", detail=f"({config.policy}, seed {report.seed})")
        chosen = selection.choose(selection.candidates(self.archive.index), count, config, report.seed)
        report.parents = [c.id for c in chosen]
        rng = random.Random(report.seed)
        for k, cand in enumerate(chosen):
            self.rt.gateway.check_budget()
            parent = self.archive.index.agents[cand.id]
            selected = {"policy": config.policy, "seed": report.seed, "step": report.step, "draw": k}
            child = self.make_child(parent, rng, selected)
            if isinstance(child, Agent):
                origin = child.info.get("origin", SELF_MODIFICATION)
                child = (
                    self.settle(child, origin)
                    if settle_children
                    else Outcome(child.id, child.parent, origin, "pending", reason="to be evaluated by the fan-out")
                )
            report.children.append(self._shown(child))

    def make_child(self, parent: Agent, rng: random.Random, selected: dict[str, Any]) -> Agent | Outcome:
        """One child of ``parent``, committed and pending: a transplant when the draw says so and one applies,
        else a self-modification; or why there is none. ``selected`` (how the parent was chosen) goes in its note."""
        child = None
        if rng.random() < self.rt.config.selfmod.transplant_share:
            child = self._transplanted_child(parent, rng, selected)
        return child or self._self_modified_child(parent, rng, selected)

    def _self_modified_child(self, parent: Agent, rng: random.Random, selected: dict[str, Any]) -> Agent | Outcome:
        """The child ``parent`` makes of itself, committed and pending; or why there is none."""
        rt = self.rt
        self.journal.phase("diagnose", parent=parent.id)
        record = parent.record or Record.new(status="evaluated", parent=None, generation=0)
        role = rt.role("diagnosis")
        endpoint = rt.gateway.open_run(parent.id, "diagnosis", CallLimits(role.max_tokens, role.request_timeout))
        try:
            diagnosis = diagnose(
                socket=endpoint.socket,
                token=endpoint.token,
                role=role,
                code=agent_code(self.archive.tree_files(parent.commit)),
                record=record,
                logs=self.archive.task_logs(parent.commit),
                rng=rng,
                attempts=rt.config.selfmod.diagnosis_attempts,
                suite=rt.suite,
            )
        except DiagnosisFailed as exc:
            self._stop_if_model_down()
            return _no_child(parent, str(exc))
        finally:
            diagnosis_usage = rt.gateway.close_run(endpoint.token)
        self.journal.phase("self-modify", parent=parent.id)
        statement = diagnosis.problem_statement()
        try:
            mod = self_modify(rt, parent, statement)
        except GitdgmError as exc:
            return _no_child(parent, str(exc))
        if mod.run.usage.model_failures:  # a change made while the model failed is not the parent's best effort
            self._stop_if_model_down()
            return _no_child(parent, f"{mod.run.usage.model_failures} model call(s) failed while it modified itself")
        self.journal.phase("commit", parent=parent.id)
        generation = (parent.generation or 0) + 1
        usage, result = diagnosis_usage + mod.run.usage, mod.run.result
        model = rt.config.model.name
        return self.archive.add_agent(
            mod.tree,
            parent,
            diagnosis.subject,
            statement,
            {"Gitdgm-Parent": parent.id, "Gitdgm-Generation": str(generation), "Gitdgm-Model": model},
            Record.new(
                status="pending",
                parent=parent.id,
                generation=generation,
                origin=SELF_MODIFICATION,
                summary=diagnosis.subject,
                model=model,
                selection=selected,
                diagnosis=diagnosis.note(),
                creation={
                    "tokens": usage.total_tokens,
                    "tokens_estimated": usage.estimated_tokens,
                    "cost_usd": round(usage.cost_usd, 6),
                    "agent_exit_code": result.exit_code,
                    "agent_seconds": round(result.duration, 2),
                    "timed_out": result.timed_out,
                },
            ),
            author=(f"agent {parent.id}", f"{parent.id}@agents.gitdgm.invalid"),
        )

    def _transplanted_child(self, onto: Agent, rng: random.Random, selected: dict[str, Any]) -> Agent | None:
        """An admitted improvement from another lineage grafted onto ``onto`` (None when none applies)."""
        agents = self.archive.index.agents
        lineage = set()
        node: Agent | None = onto
        while node is not None:
            lineage.add(node.id)
            node = agents.get(node.parent) if node.parent else None
        improvements = [
            a
            for a in list(agents.values())
            if a.admitted and a.parent and a.id not in lineage and (a.score or 0) > (agents[a.parent].score or 0)
        ]
        rng.shuffle(improvements)
        if improvements:
            self.journal.phase("commit", parent=onto.id)
        for improvement in improvements[:TRANSPLANT_TRIES]:
            try:
                return self.archive.transplant(improvement, onto, selected)
            except MergeConflict:
                continue
        return None

    def _stop_if_model_down(self) -> None:
        """After a model failure: a model that is down ends the step (ModelUnavailable) rather than its parents."""
        self.rt.gateway.check_budget()
        if down := self.rt.gateway.probe():
            raise ModelUnavailable(f"{down}; the step stopped before making more children")


def _no_child(parent: Agent, reason: str) -> Outcome:
    return Outcome(None, parent.id, SELF_MODIFICATION, "no child", reason=reason)


def _errors_reason(record: Record) -> str:
    first = next(iter(record.errors.items()))
    return f"{len(record.errors)} task(s) ended in error, to be run again (first: {first[0]}: {first[1].get('why')})"
