"""Grade an agent's edited repository: a fresh copy, the hidden tests overlaid, the test command in a sandbox.

The agent's own directory is never touched, and the hidden tests exist only in the throwaway copy.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gitdgm.errors import ConfigError
from gitdgm.suites.task import Task

Outcome = Literal["resolved", "unresolved", "timeout", "error"]
# Exit codes of `sh` when the command itself could not run: the task's setup is at fault, not the agent.
_NOT_RUNNABLE = {126: "a command is not executable", 127: "a command was not found"}
GRADE_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "CI": "1", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Grade:
    """``outcome``: resolved (tests pass), unresolved (they fail), timeout, or error (could not grade)."""

    outcome: Outcome
    output: str
    duration: float


def grade(task: Task, repo_dir: Path, sandbox: Any) -> Grade:
    """Run ``task``'s hidden tests against a copy of ``repo_dir`` in ``sandbox`` (a gitdgm Sandbox)."""
    if task.grader is not None:
        return task.grader(task, repo_dir, sandbox)
    with tempfile.TemporaryDirectory(prefix="gitdgm-grade-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(repo_dir, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        try:
            task.write_tests(work)
        except (ConfigError, OSError) as e:
            return Grade("error", f"could not overlay the hidden tests of {task.id}: {e}", 0.0)
        result = sandbox.run(
            ["sh", "-c", task.test_command],
            mounts={"repo": work},
            cwd="{repo}",
            env=GRADE_ENV,
            timeout=task.test_time_limit,
        )
    output = result.output + ("\n[output truncated]" if result.output_truncated else "")
    if result.timed_out:
        return Grade("timeout", output + f"\n[tests ran past {task.test_time_limit:g} s]", result.duration)
    if result.exit_code == 0:
        return Grade("resolved", output, result.duration)
    if reason := _NOT_RUNNABLE.get(result.exit_code):
        return Grade("error", output + f"\n[{reason}: exit {result.exit_code}]", result.duration)
    return Grade("unresolved", output, result.duration)
