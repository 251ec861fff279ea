"""The evaluation harness: run an agent on a suite in stages, grade each patch, record results as they land.

Every finished task is written into the agent's note at once (and its logs into ``refs/notes/dgm-logs``), so a
killed evaluation resumes with the tasks not yet recorded and never runs a task twice. Shards of one evaluation
(``--shard i/n``, e.g. a CI matrix) each record their own tasks into the same note with the same
read-modify-write, which is why a sharded evaluation ends with the same record as an unsharded one.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gitdgm.archive import Agent, Record
from gitdgm.archive.record import now
from gitdgm.archive.scratch import Workspace, new_store
from gitdgm.engine.protocol import AgentRequest, AgentRun, AgentSpec, read_agent_spec, run_agent
from gitdgm.engine.services import Runtime
from gitdgm.errors import ConfigError, GitdgmError, ModelUnavailable, SandboxError
from gitdgm.sandbox.readback import Untrusted
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.suites import Task, grade
from gitdgm.suites.grade import Grade

log = logging.getLogger(__name__)
LOG_LIMIT = 30_000
T = TypeVar("T")
TAMPERING_SHOWN = 20  # in the note, which every load reads: a flood of dropped files must not bloat it


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(x) for x in text.split("/"))
        except ValueError:
            raise ValueError(f"shard must look like i/n (e.g. 2/3), got {text!r}") from None
        if not 1 <= index <= count:
            raise ValueError(f"shard {text}: i must be between 1 and n")
        return cls(index, count)

    def takes(self, position: int) -> bool:
        """Whether this shard runs the task at ``position`` within its stage."""
        return position % self.count == self.index - 1


def stage_tasks(tasks: Sequence[T], stages: Sequence[int]) -> list[list[T]]:
    """Stage k takes the next ``stages[k]`` tasks of the suite's order (tasks or their ids)."""
    out: list[list[T]] = []
    start = 0
    for size in stages:
        out.append(list(tasks[start : start + size]))
        start += size
    return [s for s in out if s]


def summarise_tasks(record: Record) -> None:
    """Pooled score and per-stage counts, recomputed from the task results (so merged shards agree)."""
    tasks = record.tasks
    record.data["attempted"] = len(tasks)
    record.data["resolved"] = sum(1 for t in tasks.values() if t.get("outcome") == "resolved")
    record.data["score"] = record.data["resolved"] / len(tasks) if tasks else 0.0
    record.data["errored"] = len(record.errors)
    stages: dict[int, list[dict[str, Any]]] = {}
    for result in tasks.values():
        stages.setdefault(int(result.get("stage", 1)), []).append(result)
    record.data["stages"] = [
        {"stage": k, "tasks": len(v), "resolved": sum(r.get("outcome") == "resolved" for r in v)}
        for k, v in sorted(stages.items())
    ]
    attempts = [*tasks.values(), *record.errors.values()]  # an errored attempt's tokens were spent all the same
    cost = sum(float(t.get("cost_usd", 0.0)) for t in attempts)
    tokens = sum(int(t.get("tokens", 0)) for t in attempts)
    estimated = sum(int(t.get("tokens_estimated") or 0) for t in attempts)  # the server sent no usage for these
    record.data.setdefault("evaluation", {}).update(cost_usd=cost, tokens=tokens, tokens_estimated=estimated)


def evaluate(rt: Runtime, agent: Agent, *, shard: Shard | None = None, only_stage: int | None = None) -> Record:
    """Evaluate ``agent`` (resuming from its note: errored tasks run again); returns its record.

    Raises BudgetExceeded or ModelUnavailable after recording what finished, leaving the agent to be resumed."""
    archive = rt.archive
    record = start_evaluation(rt, agent)
    stopped: list[str] = []  # why the model is down, once an attempt found it so
    probed = False  # the model is asked whether it answers before the first task is run, not for a resume
    with scratch_dir("gitdgm-agent-") as tmp:
        agent_dir = archive.materialise(agent.commit, tmp / "agent")
        spec = read_agent_spec(agent_dir)
        stages = stage_tasks(rt.suite.tasks, rt.config.eval.stages)
        for number, tasks in enumerate(stages, start=1):
            if only_stage and number != only_stage:
                continue
            todo = [
                task
                for i, task in enumerate(tasks)
                if (shard is None or shard.takes(i)) and task.id not in record.tasks
            ]
            if todo and not probed and (down := rt.gateway.probe()):
                raise ModelUnavailable(f"{down}; nothing was run for {agent.id}")
            probed = probed or bool(todo)
            if todo:
                rt.progress.tasks(agent.id, number, len(todo), rt.config.eval.workers)

            def run(task: Task, stage: int = number) -> None:
                if rt.gateway.budget_exhausted or stopped:
                    return
                run_and_record(rt, agent, spec, agent_dir, task, stage, stopped)

            with ThreadPoolExecutor(max_workers=rt.config.eval.workers) as pool:
                list(pool.map(run, todo))
            rt.gateway.check_budget()
            if stopped:
                raise ModelUnavailable(f"{stopped[0]}; {agent.id}'s tasks not yet run stay to be evaluated")
            record = archive.agent(agent.commit).record or record
            if shard or only_stage or number == len(stages):
                break
            if not record.tasks or record.data["score"] < rt.config.eval.thresholds[number - 1]:
                break
    if shard is not None:
        stage = only_stage or 1
        more = stage < len(stages) and record.data["score"] >= rt.config.eval.thresholds[stage - 1]
        record = archive.update_record(
            agent.commit,
            lambda r: _finish_shard(r, shard, stage, more),
            f"gitdgm: shard {shard.index}/{shard.count} of {agent.id}",
        )
    elif only_stage is None:
        record = finish_evaluation(rt, agent)
    return record


def start_evaluation(rt: Runtime, agent: Agent) -> Record:
    """Mark ``agent`` as being evaluated (a settled agent keeps its status) and say with what; returns its record."""
    record = rt.archive.record_results(agent, lambda r: _start(r, agent, rt), f"gitdgm: evaluating {agent.id}").record
    assert record is not None
    return record


def finish_evaluation(rt: Runtime, agent: Agent) -> Record:
    """Close ``agent``'s evaluation: its summary from the task results, ``evaluated`` once some task is graded."""
    return rt.archive.update_record(agent.commit, _finish, f"gitdgm: evaluated {agent.id}")


def run_and_record(
    rt: Runtime,
    agent: Agent,
    spec: AgentSpec,
    agent_dir: Path,
    task: Task,
    stage: int,
    stopped: list[str],
    made_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One attempt at ``task``, recorded in ``agent``'s note (and its logs) as it lands; returns its result.
    ``made_by`` (run, worker) goes into the result; ``stopped`` gets why the model is down, if it is."""
    result, logs = guarded_task(rt, agent, spec, agent_dir, task, stage)
    result.update(made_by or {})
    counted = result["outcome"] == "error" and _counts_against_agent(rt, result, stopped)
    _record_task(rt, agent, task.id, result, logs, counted)
    rt.progress.task_done(agent.id, task.id, result["outcome"], result.get("duration", 0.0))
    return result


def _counts_against_agent(rt: Runtime, result: dict[str, Any], stopped: list[str]) -> bool:
    """Whether an ``error`` attempt counts toward ``eval.error_retries``: only when its model calls failed while
    the model answers gitdgm (an agent could make its own calls fail) and the budget is not spent. A model
    found down stops the evaluation instead (``stopped`` gets why)."""
    if not result.get("model_failures") or rt.gateway.budget_exhausted:
        return False
    down = rt.gateway.probe()
    if down:
        stopped.append(down)
    return down is None


def _finish_shard(record: Record | None, shard: Shard, stage: int, more_stages: bool) -> Record:
    """Mark this shard done (merge rule: docs/scale-out.md). The last shard of a stage finishes the evaluation
    unless the pooled score earns a later stage, which the next ``gitdgm eval`` or step then runs."""
    assert record is not None
    shards = record.data.setdefault("shards", {})
    suffix = f"/{shard.count}" + (f"@{stage}" if stage > 1 else "")
    shards[f"{shard.index}{suffix}"] = "done"
    summarise_tasks(record)
    if sum(1 for key in shards if key.endswith(suffix)) == shard.count and not more_stages:
        return _finish(record)
    return record


def _start(record: Record | None, agent: Agent, rt: Runtime) -> Record:
    record = record or Record.new(status="evaluating", parent=agent.parent, generation=0)
    if record.status in ("pending", "evaluating"):  # an admitted or rejected agent keeps its status and branch
        record.data["status"] = "evaluating"
    record.data.setdefault("evaluation", {}).update(
        suite=rt.suite.name, sandbox=rt.sandbox.name, model=rt.config.model.name
    )
    record.data["evaluation"].setdefault("started_at", now())
    summarise_tasks(record)
    return record


def _finish(record: Record | None) -> Record:
    """``evaluated`` once some task is graded; with errors only, it stays ``evaluating`` (nothing to score yet)."""
    assert record is not None
    summarise_tasks(record)
    if record.status in ("evaluating", "pending") and (record.tasks or not record.errors):
        record.data["status"] = "evaluated"
    record.data["evaluation"]["finished_at"] = now()
    return record


def _record_task(
    rt: Runtime, agent: Agent, task_id: str, result: dict[str, Any], logs: dict[str, Any], counted: bool
) -> None:
    """A graded attempt goes into ``tasks``; an ``error`` into ``errors``, to be run again, unless it is the
    ``eval.error_retries``-th counted one in a row (see ``_counts_against_agent``)."""

    def add(record: Record | None) -> Record:
        assert record is not None
        previous = record.errors.pop(task_id, {})
        if result["outcome"] != "error":
            record.tasks[task_id] = result
        else:
            tries = int(previous.get("tries", 0)) + counted
            if tries >= rt.config.eval.error_retries:
                record.tasks[task_id] = {
                    **result,
                    "outcome": "unresolved",
                    "why": "repeated_error",
                    "error": result["why"],
                    "tries": tries,
                }
            else:
                record.errors[task_id] = {**result, "tries": tries, "at": now()}
        summarise_tasks(record)
        return record

    rt.archive.record_results(agent, add, f"gitdgm: {agent.id} {task_id} {result['outcome']}")
    rt.archive.add_task_logs(agent.commit, task_id, logs)


def guarded_task(
    rt: Runtime, agent: Agent, spec: AgentSpec, agent_dir: Path, task: Task, stage: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``run_task``, where a fault of gitdgm's own is the attempt's ``error`` (logged with its traceback), not
    the agent's failure and not the end of the whole evaluation. Errors the user must act on still raise."""
    started = time.monotonic()
    try:
        return run_task(rt, agent, spec, agent_dir, task, stage)
    except GitdgmError:
        raise
    except Exception as exc:
        log.exception("gitdgm: internal error while running %s on %s", agent.id, task.id)
        return _errored(
            task, stage, started, f"gitdgm's own fault: {type(exc).__name__}: {exc}"[:500], traceback.format_exc()
        )


def _errored(
    task: Task, stage: int, started: float, why: str, detail: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An attempt that ended before the agent could be judged: its result and logs."""
    result = {"outcome": "error", "why": why, "stage": stage, "duration": round(time.monotonic() - started, 2)}
    return result, {
        "outcome": "error",
        "why": why,
        "problem": task.problem[:LOG_LIMIT],
        "test_output": detail[-LOG_LIMIT:],
    }


def run_task(
    rt: Runtime, agent: Agent, spec: AgentSpec, agent_dir: Path, task: Task, stage: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One task: a fresh repository, the agent, its change, the hidden tests in a clean room. Never raises for
    what the agent did: that ends as its recorded attempt; what was not its doing ends as an ``error``."""
    started = time.monotonic()
    limit = rt.config.eval.agent_time_limit or task.time_limit
    graded: Grade | None = None
    with scratch_dir("gitdgm-task-") as tmp:
        repo = tmp / "repo"
        task.write_repo(repo)
        try:
            workspace = Workspace(repo, new_store(tmp / "store"), rt.repo_limits)
        except Untrusted as exc:
            raise ConfigError(
                f"task {task.id}: its own repository cannot be taken ({exc}); "
                "raise [sandbox] max_repo_mb / max_repo_files in gitdgm.toml"
            ) from None
        try:
            request = AgentRequest(spec, agent_dir, workspace, task.problem, limit, rt.role("agent"), agent.id, task.id)
            run = run_agent(request, rt.sandbox, rt.gateway)
            if run.changes is not None and not run.changes.empty and not run.result.timed_out:
                graded = grade(task, run.changes, rt.sandbox)
            patch = run.patch  # read while the task's store still exists
        except SandboxError as exc:
            return _errored(task, stage, started, f"the sandbox failed: {exc}")
    outcome, why = judge(run, graded)
    result: dict[str, Any] = {
        "outcome": outcome,
        "why": why or None,
        "stage": stage,
        "duration": round(time.monotonic() - started, 2),
        "agent_seconds": round(run.result.duration, 2),
        "exit_code": run.result.exit_code,
        "patch_lines": patch.count("\n"),
        "tokens": run.usage.total_tokens,
        "cost_usd": round(run.usage.cost_usd, 6),
        "requests": run.usage.requests,
        "model_errors": run.usage.errors,
        "model_failures": run.usage.model_failures or None,
        "tokens_estimated": run.usage.estimated_tokens or None,
    }
    if run.refused:
        result["reason"] = run.refused
    tampering = graded.tampering if graded else ()
    if tampering:
        result["tampering"] = list(tampering[:TAMPERING_SHOWN])
        if len(tampering) > TAMPERING_SHOWN:
            result["tampering"].append(f"... and {len(tampering) - TAMPERING_SHOWN} more, listed in the task's logs")
    logs = {
        "outcome": outcome,
        "why": why,
        "problem": task.problem[:LOG_LIMIT],
        "patch": patch[:LOG_LIMIT],
        "agent_output": run.log_tail[-LOG_LIMIT:],
        "transcript": run.transcript[-LOG_LIMIT:],
        "model_calls": run.model_calls[-LOG_LIMIT:],
        "test_output": (graded.output if graded else run.refused)[-LOG_LIMIT:],
        "tampering": "\n".join(tampering)[:LOG_LIMIT],
    }
    return result, logs


def judge(run: AgentRun, graded: Grade | None) -> tuple[str, str]:
    """The attempt's outcome and why (DESIGN §12): ``resolved``; ``unresolved`` for what the agent did (wrong
    fix, empty patch, its own crash or timeout, a tree that cannot be taken); ``error`` for what it did not."""
    if graded is not None and graded.outcome == "resolved":
        return "resolved", ""
    if run.usage.model_failures:
        return "error", (
            f"{run.usage.model_failures} model call(s) failed: unreachable or failing after retries, "
            "gitdgm's key refused or the budget spent"
        )
    if run.changes is None:
        return "unresolved", "refused"
    if run.result.timed_out:
        return "unresolved", "agent_timed_out"
    if graded is None:
        return "unresolved", "empty_patch"
    return graded.outcome, graded.why


#: unresolved attempts that produced no patch the tests could judge (the DGM's "functional" test)
NO_PATCH = ("empty_patch", "agent_timed_out", "refused", "repeated_error")


def functional(record: Record) -> bool:
    """The DGM's admission rule: at least one task produced a patch that could be graded."""
    return any(t.get("outcome") == "resolved" or t.get("why") not in NO_PATCH for t in record.tasks.values())
