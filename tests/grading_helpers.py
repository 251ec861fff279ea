"""A task's repository as an agent gets it (a ``Workspace``), for tests that edit it by hand and then grade."""

from __future__ import annotations

from pathlib import Path

from gitdgm.sandbox.readback import Limits
from gitdgm.suites import Grade, Task, grade
from gitdgm.archive.scratch import Workspace, new_store


def task_workspace(task: Task, where: Path) -> Workspace:
    """``task``'s repository written into ``where/repo``, its starting tree kept in ``where/store``."""
    repo = where / "repo"
    task.write_repo(repo)
    return Workspace(repo, new_store(where / "store"), Limits())


def grade_workspace(task: Task, workspace: Workspace, sandbox: object) -> Grade:
    """Grade what the workspace holds now, as the evaluator grades an agent's change."""
    return grade(task, workspace.changes(), sandbox)
