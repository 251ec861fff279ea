"""The evaluation harness: run an agent on a suite in stages, grade each patch, record results as they land.

Every finished task is written into the agent's note at once (and its logs into ``refs/notes/dgm-logs``), so a
killed evaluation resumes with the tasks not yet recorded and never runs a task twice. Shards of one evaluation
(``--shard i/n``, e.g. a CI matrix) each record their own tasks into the same note with the same
read-modify-write, which is why a sharded evaluation ends with the same record as an unsharded one.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitdgm.archive import Agent
from gitdgm.errors import ConfigError
from gitdgm.record import Record, now
from gitdgm.runner import run_agent
from gitdgm.runtime import Runtime, repo_limits
from gitdgm.sandbox.readback import Untrusted
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.suites import Task, grade
from gitdgm.workspace import AgentSpec, Workspace, new_store, read_agent_spec

#: outcomes that show the agent produced a patch that could be graded (the DGM's "functional" test)
GRADED = ("resolved", "unresolved")
LOG_LIMIT = 30_000
TAMPERING_SHOWN = 20  # in the note, which every load reads: a flood of dropped files must not bloat it


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
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


def stage_tasks(tasks: tuple[Task, ...], stages: list[int]) -> list[list[Task]]:
    """Stage k takes the next ``stages[k]`` tasks of the suite's order."""
    out, start = [], 0
    for size in stages:
        out.append(list(tasks[start:start + size]))
        start += size
    return [s for s in out if s]


def summarise_tasks(record: Record) -> None:
    """Pooled score and per-stage counts, recomputed from the task results (so merged shards agree)."""
    tasks = record.tasks
    record.data["attempted"] = len(tasks)
    record.data["resolved"] = sum(1 for t in tasks.values() if t.get("outcome") == "resolved")
    record.data["score"] = record.data["resolved"] / len(tasks) if tasks else 0.0
    stages: dict[int, list[dict[str, Any]]] = {}
    for result in tasks.values():
        stages.setdefault(int(result.get("stage", 1)), []).append(result)
    record.data["stages"] = [{"stage": k, "tasks": len(v), "resolved": sum(r.get("outcome") == "resolved" for r in v)}
                             for k, v in sorted(stages.items())]
    cost = sum(float(t.get("cost_usd", 0.0)) for t in tasks.values())
    tokens = sum(int(t.get("tokens", 0)) for t in tasks.values())
    record.data.setdefault("evaluation", {}).update(cost_usd=cost, tokens=tokens)


def evaluate(rt: Runtime, agent: Agent, *, shard: Shard | None = None, only_stage: int | None = None,
             on_task: Callable[[str, str], None] | None = None) -> Record:
    """Evaluate ``agent`` (resuming from its note); returns its record. Raises BudgetExceeded after recording
    what finished, leaving the agent ``evaluating`` so a later run resumes it."""
    archive = rt.archive
    record = archive.update_record(agent.commit, lambda r: _start(r, agent, rt), f"gitdgm: evaluating {agent.id}")
    lock = threading.Lock()
    with scratch_dir("gitdgm-agent-") as tmp:
        agent_dir = archive.materialise(agent.commit, tmp / "agent")
        spec = read_agent_spec(agent_dir)
        stages = stage_tasks(rt.suite.tasks, rt.config.eval.stages)
        for number, tasks in enumerate(stages, start=1):
            if only_stage and number != only_stage:
                continue
            todo = [task for i, task in enumerate(tasks)
                    if (shard is None or shard.takes(i)) and task.id not in record.tasks]

            def run(task: Task, stage: int = number) -> None:
                if rt.gateway.budget_exhausted:
                    return
                result, logs = run_task(rt, agent, spec, agent_dir, task, stage)
                with lock:
                    _record_task(rt, agent, task.id, result, logs)
                if on_task:
                    on_task(task.id, result["outcome"])

            with ThreadPoolExecutor(max_workers=rt.config.eval.workers) as pool:
                list(pool.map(run, todo))
            rt.gateway.check_budget()
            record = archive.read_record(agent.commit) or record
            if shard or only_stage or number == len(stages):
                break
            if record.data["score"] < rt.config.eval.thresholds[number - 1]:
                break
    if shard is not None:
        stage = only_stage or 1
        more = stage < len(stages) and record.data["score"] >= rt.config.eval.thresholds[stage - 1]
        record = archive.update_record(agent.commit, lambda r: _finish_shard(r, shard, stage, more),
                                       f"gitdgm: shard {shard.index}/{shard.count} of {agent.id}")
    elif only_stage is None:
        record = archive.update_record(agent.commit, _finish, f"gitdgm: evaluated {agent.id}")
    return record


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
    if record.status != "evaluated":
        record.data["status"] = "evaluating"
    record.data.setdefault("evaluation", {}).update(suite=rt.suite.name, sandbox=rt.sandbox.name,
                                                    model=rt.config.model.name)
    record.data["evaluation"].setdefault("started_at", now())
    summarise_tasks(record)
    return record


def _finish(record: Record | None) -> Record:
    assert record is not None
    summarise_tasks(record)
    record.data["status"] = "evaluated" if record.status in ("evaluating", "pending") else record.status
    record.data["evaluation"]["finished_at"] = now()
    return record


def _record_task(rt: Runtime, agent: Agent, task_id: str, result: dict[str, Any], logs: dict[str, Any]) -> None:
    def add(record: Record | None) -> Record:
        assert record is not None
        record.tasks[task_id] = result
        summarise_tasks(record)
        return record

    rt.archive.update_record(agent.commit, add, f"gitdgm: {agent.id} {task_id} {result['outcome']}")
    rt.archive.logs.update([agent.commit], lambda _c, old: pack_logs({**unpack_logs(old), task_id: logs}),
                           f"gitdgm: logs of {agent.id} {task_id}")


def run_task(rt: Runtime, agent: Agent, spec: AgentSpec, agent_dir: Path, task: Task,
             stage: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One task: a fresh repository, the agent, its change, the hidden tests in a clean room. Never raises for
    what the agent did: that ends as its recorded attempt."""
    started = time.monotonic()
    limit = rt.config.eval.agent_time_limit or task.time_limit
    with scratch_dir("gitdgm-task-") as tmp:
        repo = tmp / "repo"
        task.write_repo(repo)
        try:
            workspace = Workspace(repo, new_store(tmp / "store"), repo_limits(rt.config))
        except Untrusted as why:
            raise ConfigError(f"task {task.id}: its own repository cannot be taken ({why}); "
                              "raise [sandbox] max_repo_mb / max_repo_files in gitdgm.toml") from None
        run = run_agent(sandbox=rt.sandbox, gateway=rt.gateway, spec=spec, agent_dir=agent_dir,
                        workspace=workspace, problem=task.problem, time_limit=limit, model=rt.config.model.name,
                        agent_id=agent.id, task_id=task.id)
        patch, graded = run.patch, None
        if run.changes is None:
            outcome = "unresolved"
        elif run.result.timed_out:
            outcome = "timeout"
        elif run.changes.empty:
            outcome = "error" if run.result.exit_code != 0 else "empty_patch"
        else:
            graded = grade(task, run.changes, rt.sandbox)
            outcome = graded.outcome
    result = {
        "outcome": outcome, "stage": stage, "duration": round(time.monotonic() - started, 2),
        "agent_seconds": round(run.result.duration, 2), "exit_code": run.result.exit_code,
        "patch_lines": patch.count("\n"), "tokens": run.usage.total_tokens,
        "cost_usd": round(run.usage.cost_usd, 6), "requests": run.usage.requests, "model_errors": run.usage.errors,
    }
    if run.refused:
        result["reason"] = run.refused
    tampering = graded.tampering if graded else ()
    if tampering:
        result["tampering"] = list(tampering[:TAMPERING_SHOWN])
        if len(tampering) > TAMPERING_SHOWN:
            result["tampering"].append(f"... and {len(tampering) - TAMPERING_SHOWN} more, listed in the task's logs")
    logs = {"outcome": outcome, "problem": task.problem[:LOG_LIMIT], "patch": patch[:LOG_LIMIT],
            "agent_output": run.log_tail[-LOG_LIMIT:], "transcript": run.transcript[-LOG_LIMIT:],
            "test_output": (graded.output if graded else run.refused)[-LOG_LIMIT:],
            "tampering": "\n".join(tampering)[:LOG_LIMIT]}
    return result, logs


def pack_logs(logs: dict[str, Any]) -> bytes:
    """Logs are large: zlib-compressed JSON, kept out of agent trees and out of the records ref."""
    return zlib.compress(json.dumps(logs).encode("utf-8"), 6)


def unpack_logs(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        return json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError):
        return {}


def functional(record: Record) -> bool:
    """The DGM's admission rule: at least one task produced a patch that could be graded."""
    return any(t.get("outcome") in GRADED for t in record.tasks.values())
