"""The search engine: a pool of workers runs the jobs a policy chooses as workers free up, with no barrier of its own.

A job is *expand* (diagnose and self-modify a parent, then check the child), *evaluate* (one task of one agent) or
*settle* (check an agent found pending: catch-up). The policy reads a ``SearchState`` the engine keeps current,
so a decision never reloads the archive, and the archive's own index is kept across jobs, so a job's machinery
does not grow with the archive. Each job is journalled before it starts and lands in the archive as it ends
(a task result in the agent's note, a child as a commit, branch and note); a kill at any moment leaves an archive
the next run resumes: a task not recorded is run again, a committed child is settled, and a resumed run counts
the evaluations it already recorded against its budget.
"""

from __future__ import annotations

import queue
import random
import shutil
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitdgm.archive import Agent
from gitdgm.engine.evaluate import finish_evaluation, functional, run_and_record, stage_tasks, start_evaluation
from gitdgm.engine.generation import Generation
from gitdgm.engine.protocol import AgentSpec, AgentSpecError, read_agent_spec
from gitdgm.engine.report import Outcome
from gitdgm.engine.selfmod import SELF_MODIFICATION
from gitdgm.engine.state import Evaluate, Expand, Job, Policy, SearchState, Settle
from gitdgm.errors import BudgetExceeded, ModelUnavailable
from gitdgm.sandbox.scratch import scratch_dir

BARREN_LIMIT = 10  # expansions in a row that made no child to evaluate, after which a run stops


@dataclass
class RunSettings:
    """What a run is, as its journal and its records say: the policy, its budget and its workers."""

    id: str
    policy: str
    workers: int
    seed: int
    max_evals: int | None = None
    #: agents this run evaluated (where a resumed run counts what it already spent)
    agents: list[str] = field(default_factory=list)

    def budget(self, max_usd: float, max_tokens: int) -> str:
        parts = [f"{self.max_evals} evaluations" if self.max_evals else "", f"${max_usd:g}" if max_usd else ""]
        parts.append(f"{max_tokens} tokens" if max_tokens else "")
        return ", ".join(p for p in parts if p) or "none"


@dataclass
class Usage:
    """Worker time, for utilisation: busy worker-seconds over workers × wall-clock."""

    busy: float = 0.0
    wall: float = 0.0
    jobs: int = 0

    def utilisation(self, workers: int) -> float:
        return self.busy / (workers * self.wall) if self.wall else 0.0


class Search:
    def __init__(self, generation: Generation, policy: Policy, settings: RunSettings) -> None:
        self.generation, self.policy, self.settings = generation, policy, settings
        self.rt = generation.rt
        self.archive = generation.archive
        self.report = generation.report
        self.usage = Usage()
        suite = self.rt.suite.tasks
        self.tasks = {t.id: t for t in suite}
        self.stages = {
            t.id: n for n, stage in enumerate(stage_tasks(suite, self.rt.config.eval.stages), 1) for t in stage
        }
        self.state = SearchState.from_snapshot(self.archive.index, tuple(self.tasks), settings.workers)
        self.state.max_evals = settings.max_evals
        self.state.evals = self._recorded_evals()
        self.stopped: list[str] = []  # why the model is down, once a task found it so
        self._made: set[str] = set()
        self._expansions = 0
        self._code: dict[str, tuple[Path, AgentSpec]] = {}
        self._lock = threading.Lock()  # guards what the workers share: the code cache, stages started, usage
        self._barren_in_a_row = 0
        self._stages_started: set[tuple[str, int]] = set()
        self._workers: queue.Queue[int] = queue.Queue()
        for number in range(1, settings.workers + 1):
            self._workers.put(number)

    def run(self) -> None:
        """Run jobs until the policy has none left, a budget is spent or the model is down (then ``report.stopped``)."""
        settle = [a.id for a in self.archive.index.pending() if a.status == "pending"]
        self.generation.journal.record_run(**vars(self.settings))
        started = time.perf_counter()
        failure: BaseException | None = None
        with ThreadPoolExecutor(self.settings.workers) as pool, scratch_dir("gitdgm-code-") as code_root:
            self._code_root = code_root
            running: dict[Future[Any], Job] = {}
            while True:
                while not self.report.stopped and failure is None and len(running) < self.settings.workers:
                    job = self._next(settle, running)
                    if job is None or not self._affordable():
                        break
                    running[pool.submit(self._work, job, self._context(job))] = job
                    self.state.submitted(job)
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    failure = self._land(running.pop(future), future) or failure
        self.usage.wall += time.perf_counter() - started
        self._report_unsettled()
        if failure is not None:
            raise failure

    # --- on the main thread -----------------------------------------------------------------------------------
    def _next(self, settle: list[str], running: dict[Future[Any], Job]) -> Job | None:
        """Catch-up checks first; the policy decides once they have all landed (it sees only checked agents)."""
        if settle:
            return Settle(settle.pop(0))
        if any(isinstance(job, Settle) for job in running.values()):
            return None
        return self.policy.next_job(self.state)

    def _affordable(self) -> bool:
        try:
            self.rt.gateway.check_budget()
        except BudgetExceeded as exc:
            self.report.stopped, self.report.exit_code = str(exc), exc.exit_code
            return False
        return True

    def _context(self, job: Job) -> dict[str, Any]:
        """What the job's records say made them (how the parent was chosen; which run and worker)."""
        made_by: dict[str, Any] = {"policy": self.policy.name, "run": self.settings.id}
        if isinstance(job, Expand):
            made_by |= {
                "seed": self.settings.seed,
                "step": self.report.step,
                "draw": self._expansions,
                "budget": self._budget(),
                **job.draw,
            }
            self._expansions += 1
        if isinstance(job, Evaluate):
            if job.agent not in self.settings.agents:
                self.settings.agents.append(job.agent)
                self.generation.journal.record_run(agents=self.settings.agents)
            if not job.counted:
                made_by["counted"] = False
        return made_by

    def _land(self, job: Job, future: Future[Any]) -> BaseException | None:
        """Take a finished job's result into the state and the report; the error that must end the run, if any."""
        try:
            result = future.result()
        except (BudgetExceeded, ModelUnavailable) as exc:
            self.state.landed(job, None)
            self.report.stopped, self.report.exit_code = str(exc), exc.exit_code
            return None
        except BaseException as exc:  # gitdgm's own failure, or one the user must act on: end the run after the rest
            self.state.landed(job, None)
            self.report.stopped = self.report.stopped or f"stopped: {exc}"
            return exc
        if isinstance(job, Evaluate):
            self._landed_task(job, result)
        elif isinstance(result, Outcome):
            self.state.landed(job, None)  # a rejected child counts as barren: no agent to build on or evaluate
            if isinstance(job, Expand):
                self._barren(result)
            if isinstance(job, Settle):
                self.state.set_status(job.agent, result.status)
            self._settled(result)
        else:
            self.state.landed(job, result.id)
            if isinstance(job, Expand):
                self._made.add(result.id)
                self._barren_in_a_row = 0
                self.state.add_child(result)
            else:
                self.state.follow(result)
        if self.stopped and not self.report.stopped:
            self.report.stopped, self.report.exit_code = self.stopped[0], ModelUnavailable.exit_code
        return None

    def _barren(self, outcome: Outcome) -> None:
        """An expansion that made no child to evaluate; too many in a row end the run (a model that only answers
        nonsense must not be asked for children forever)."""
        if outcome.id:
            self._made.add(outcome.id)
        self._barren_in_a_row += 1
        if self._barren_in_a_row >= BARREN_LIMIT and not self.report.stopped:
            self.report.stopped = (
                f"{BARREN_LIMIT} expansions in a row made no child to evaluate (last: {outcome.reason})"
            )

    def _landed_task(self, job: Evaluate, outcome: str) -> None:
        agent = self.archive.index.agents[job.agent]
        state = self.state.agents[job.agent]
        if outcome.startswith("cannot run:"):
            self.state.landed(job, None)
            state.tried.update(self.state.untried(job.agent))  # an agent that cannot run is judged once
            if not self.state.in_flight(job.agent) and state.live:
                self._settled(self.generation.reject(agent, self._origin(agent), outcome.removeprefix("cannot run: ")))
                self.state.set_status(job.agent, "rejected")
            return
        self.state.landed(job, outcome)
        self.state.follow(agent)
        record = agent.record
        if self.policy.admit_early and not agent.admitted and record is not None and functional(record):
            record = finish_evaluation(self.rt, agent)  # evaluated on what it has run so far; more may follow
            self._settled(self.generation.judge(self.archive.agent(agent.commit), record, self._origin(agent)))
            self.state.follow(self.archive.index.agents[job.agent])
        if self.policy.complete(self.state, job.agent):
            record = finish_evaluation(self.rt, agent)
            self._settled(self.generation.judge(self.archive.agent(agent.commit), record, self._origin(agent)))
            self.state.follow(self.archive.index.agents[job.agent])
            self._forget_code(job.agent)

    def _settled(self, outcome: Outcome) -> None:
        """Report an agent's outcome (replacing an earlier one of this run: hgm admits early, then scores on)."""
        made = outcome.id is None or outcome.id in self._made
        outcomes = self.report.children if made else self.report.caught_up
        earlier = [k for k, o in enumerate(outcomes) if outcome.id is not None and o.id == outcome.id]
        if earlier:
            outcomes[earlier[0]] = outcome
        else:
            outcomes.append(outcome)
        self.rt.progress.settled(outcome.id, outcome.status, outcome.score, outcome.reason)

    def _report_unsettled(self) -> None:
        """Children still being evaluated when the run ends (under hgm, most are) are reported as they stand."""
        reported = {o.id for o in self.report.children}
        for agent_id in sorted(self._made - reported, key=lambda a: self.state.agents[a].order):
            state = self.state.agents[agent_id]
            self.report.children.append(
                Outcome(
                    agent_id,
                    state.parent,
                    SELF_MODIFICATION,
                    state.status,
                    state.score,
                    f"{len(state.own)} of {len(self.tasks)} task(s) evaluated so far",
                )
            )

    def _origin(self, agent: Agent) -> str:
        """How the report names where an agent came from: how it was made by this run, else caught up."""
        return str(agent.info.get("origin") or SELF_MODIFICATION) if agent.id in self._made else "pending"

    def _budget(self) -> str:
        budget = self.rt.config.budget
        return self.settings.budget(budget.max_usd, budget.max_tokens)

    def _recorded_evals(self) -> int:
        """Evaluations this run recorded before it was killed (a resumed run): they spent its budget."""
        index = self.archive.index
        records = (index.agents[a].record for a in self.settings.agents if a in index.agents)
        return sum(
            1
            for record in records
            if record is not None
            for result in record.tasks.values()
            if result.get("run") == self.settings.id and result.get("counted", True)
        )

    # --- on a worker ------------------------------------------------------------------------------------------
    def _work(self, job: Job, made_by: dict[str, Any]) -> Any:
        worker = self._workers.get()
        started = time.perf_counter()
        try:
            with self.generation.journal.job(f"{job.kind}-{worker}"):
                if isinstance(job, Settle):
                    return self._settle(job)
                if isinstance(job, Expand):
                    return self._expand(job, made_by | {"worker": worker})
                return self._evaluate(job, made_by | {"worker": worker})
        finally:
            with self._lock:
                self.usage.busy += time.perf_counter() - started
                self.usage.jobs += 1
            self._workers.put(worker)

    def _settle(self, job: Settle) -> Agent | Outcome:
        self.generation.journal.phase("catch-up", child=job.agent)
        agent = self.archive.adopt(self.archive.index.agents[job.agent])
        checked = self.generation.check(agent, "pending")
        if isinstance(checked, Outcome):
            return checked
        start_evaluation(self.rt, checked)
        return self.archive.agent(checked.commit)

    def _expand(self, job: Expand, selected: dict[str, Any]) -> Agent | Outcome:
        parent = self.archive.index.agents[job.parent]
        rng = random.Random(f"{self.settings.seed}/{selected['draw']}")  # the same draw whatever the workers
        child = self.generation.make_child(parent, rng, selected)
        if isinstance(child, Outcome):
            return child
        checked = self.generation.check(child, child.info.get("origin", SELF_MODIFICATION))
        if isinstance(checked, Outcome):
            return checked
        start_evaluation(self.rt, checked)
        return self.archive.agent(checked.commit)

    def _evaluate(self, job: Evaluate, made_by: dict[str, Any]) -> str:
        agent = self.archive.index.agents[job.agent]
        self.generation.journal.phase("evaluate", child=agent.id, task=job.task)
        try:
            code, spec = self._agent_code(agent)
        except AgentSpecError as exc:
            return f"cannot run: {exc}"
        if self.stopped:  # another task found the model down while this one waited for a worker
            raise ModelUnavailable(self.stopped[0])
        self.rt.gateway.check_budget()
        task = self.tasks[job.task]
        if self._stage_opens(job):
            stage_size = sum(1 for number in self.stages.values() if number == job.stage)
            self.rt.progress.tasks(agent.id, job.stage, stage_size, self.settings.workers)
        result = run_and_record(self.rt, agent, spec, code, task, job.stage, self.stopped, made_by)
        return str(result["outcome"])

    def _stage_opens(self, job: Evaluate) -> bool:
        """Whether this is the first task of its agent's stage this run has started (shown as the stage's start)."""
        with self._lock:
            opens = (job.agent, job.stage) not in self._stages_started
            self._stages_started.add((job.agent, job.stage))
        return opens

    def _agent_code(self, agent: Agent) -> tuple[Path, AgentSpec]:
        """The agent's source, materialised once and kept while it is being evaluated (read-only to its runs)."""
        with self._lock:
            if agent.id not in self._code:
                path = self.archive.materialise(agent.commit, self._code_root / agent.id)
                self._code[agent.id] = (path, read_agent_spec(path))
            return self._code[agent.id]

    def _forget_code(self, agent: str) -> None:
        with self._lock:
            path, _spec = self._code.pop(agent, (None, None))
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def new_run(
    policy: str, workers: int, max_evals: int | None, seed: int | None, previous: dict[str, Any] | None, resume: bool
) -> RunSettings:
    """This run's settings: those of the killed run the journal left when ``resume`` and they match, else new."""
    run = (previous or {}).get("run") or {}
    if resume and run.get("policy") == policy and run.get("max_evals") == max_evals and run.get("id"):
        return RunSettings(run["id"], policy, workers, int(run.get("seed", 0)), max_evals, list(run.get("agents", [])))
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    return RunSettings(f"{random.SystemRandom().getrandbits(48):012x}", policy, workers, seed, max_evals)
