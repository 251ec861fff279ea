"""Grade an agent's change in a clean room (THREATS.md): never in the folder the agent worked in.

The change is data (``workspace.Changes``, taken without following a link). What ``protect`` says belongs to
the task is dropped from it and recorded as tampering; the rest is applied to the task's starting tree, written
into a fresh folder, the hidden tests are laid over it, and the test command runs in a fresh sandbox.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Literal

from gitdgm.archive.scratch import Change, Changes
from gitdgm.errors import ConfigError
from gitdgm.sandbox.base import RunResult
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.suites.protect import Protection
from gitdgm.suites.task import Task

Outcome = Literal["resolved", "unresolved", "error"]
# Exit codes of `sh` when the command itself could not run: the task's setup is at fault, not the agent.
_NOT_RUNNABLE = {126: "a command is not executable", 127: "a command was not found"}
GRADE_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "CI": "1", "NO_COLOR": "1"}


@dataclass(frozen=True)
class Grade:
    """``outcome``: resolved (tests pass), unresolved (they fail or time out: ``why`` says which), or error (the
    task could not be graded here: a missing toolchain, hidden tests that cannot be laid; ``why`` says what)."""

    outcome: Outcome
    output: str
    duration: float
    tampering: tuple[str, ...] = ()  # "path: why" for each change dropped from the patch
    why: str = ""


def clean_tree(task: Task, changes: Changes) -> tuple[str, tuple[str, ...]]:
    """The tree to grade: the task's starting tree with the agent's allowed changes; and what was dropped."""
    rule = Protection.for_task(task.tests.paths(), changes.base_paths(), task.test_command)
    kept: list[Change] = []
    dropped: list[str] = []
    for change in changes.entries():
        why = rule.why(change.path, new=change.new)
        if why is None and change.mode == 0o120000 and _escapes(change.path, changes.link_target(change)):
            why = "a link out of the repository"
        if why:
            dropped.append(f"{change.path}: {why}")
        else:
            kept.append(change)
    return changes.apply(kept), tuple(dropped)


def grade(task: Task, changes: Changes, sandbox: Any) -> Grade:
    """Run ``task``'s hidden tests on the agent's ``changes`` in a clean room in ``sandbox`` (a gitdgm Sandbox)."""
    tree, tampering = clean_tree(task, changes)
    if task.grader is not None:
        with scratch_dir("gitdgm-grade-") as tmp:
            graded = task.grader(task, changes.materialise(tree, tmp / "repo"), sandbox)
        return Grade(graded.outcome, graded.output, graded.duration, tampering, graded.why)
    result = _run_hidden_tests(task, changes, tree, sandbox)
    if isinstance(result, str):
        return Grade("error", result, 0.0, tampering, result)
    output = result.output + ("\n[output truncated]" if result.output_truncated else "")
    if result.timed_out:
        return Grade(
            "unresolved",
            output + f"\n[tests ran past {task.test_time_limit:g} s]",
            result.duration,
            tampering,
            "tests_timed_out",
        )
    if result.exit_code == 0:
        return Grade("resolved", output, result.duration, tampering)
    if reason := _NOT_RUNNABLE.get(result.exit_code):
        # The agent's code can exit 127 as well as a missing toolchain can: the task is at fault only when its
        # starting tree cannot run either (it costs a second run, and only then).
        start = _run_hidden_tests(task, changes, changes.base, sandbox)
        if isinstance(start, str) or start.exit_code in _NOT_RUNNABLE:
            why = f"{reason} (exit {result.exit_code}), on the task's starting tree too: is its toolchain installed?"
            return Grade("error", output + f"\n[{why}]", result.duration, tampering, why)
        output += f"\n[exit {result.exit_code} with the agent's change; the task's starting tree runs its tests]"
    return Grade("unresolved", output, result.duration, tampering, "tests_failed")


def _run_hidden_tests(task: Task, changes: Changes, tree: str, sandbox: Any) -> RunResult | str:
    """The sandbox's result of the test command on ``tree`` with the hidden tests laid over it, in a fresh
    folder; or why the hidden tests could not be laid (the task's fault)."""
    with scratch_dir("gitdgm-grade-") as tmp:
        work = changes.materialise(tree, tmp / "repo")
        try:
            task.write_tests(work)
        except (ConfigError, OSError) as e:
            return f"could not overlay the hidden tests of {task.id}: {e}"
        return sandbox.run(
            ["sh", "-c", task.test_command],
            mounts={"repo": work},
            cwd="{repo}",
            env=GRADE_ENV,
            timeout=task.test_time_limit,
        )


def _escapes(path: str, target: str) -> bool:
    """Whether a link at ``path`` pointing at ``target`` resolves outside the repository (read as text)."""
    if target.startswith("/"):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return resolved == ".." or resolved.startswith("../")
