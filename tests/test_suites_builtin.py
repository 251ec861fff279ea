"""Every builtin task is well formed: its hidden tests fail on repo/ as given and pass with the reference solution.

Both gradings of every task run up front on a small thread pool (each is a subprocess), then one test per task
checks its results, so a broken task is named by its own test id.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gitdgm.sandbox import open_sandbox
from gitdgm.suites import Grade, Task, load_suite
from grading_helpers import grade_workspace, task_workspace

SUITE = load_suite("builtin")
TOOLCHAINS = {"python": "python3", "javascript": "node", "go": "go", "rust": "cargo"}


def _grade_both(task: Task, sandbox) -> tuple[Grade, Grade, list[str]]:
    with tempfile.TemporaryDirectory(prefix="gitdgm-builtin-") as tmp:
        workspace = task_workspace(task, Path(tmp))
        repo = workspace.directory
        seen_by_agent = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")
                               if p.is_file() and ".git" not in p.parts)
        as_given = grade_workspace(task, workspace, sandbox)
        task.write_solution(repo)
        solved = grade_workspace(task, workspace, sandbox)
        assert not solved.tampering, f"the reference solution of {task.id} is dropped: {solved.tampering}"
        return as_given, solved, seen_by_agent


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[Grade, Grade, list[str]]]:
    sandbox = open_sandbox("process", quiet=True)
    runnable = [t for t in SUITE.tasks if shutil.which(TOOLCHAINS[t.language])]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((t.id for t in runnable), pool.map(lambda t: _grade_both(t, sandbox), runnable)))


@pytest.mark.parametrize("task", SUITE.tasks, ids=lambda t: t.id)
def test_builtin_task(task: Task, results) -> None:
    if not shutil.which(TOOLCHAINS[task.language]):
        pytest.skip(f"{TOOLCHAINS[task.language]} is not installed here, so {task.language} tasks cannot run")
    as_given, solved, seen_by_agent = results[task.id]
    assert as_given.outcome == "unresolved", f"hidden tests do not fail on repo/ as given:\n{as_given.output}"
    assert solved.outcome == "resolved", f"hidden tests fail with the reference solution:\n{solved.output}"
    hidden = set(task.tests.paths())
    assert hidden and not hidden & set(seen_by_agent), "the agent's repository holds hidden test files"
    assert not any(p.startswith("solution/") or p == "task.toml" for p in seen_by_agent)
    assert task.problem.strip() and task.solution is not None


def test_builtin_stage_one_is_a_sample() -> None:
    first = SUITE.tasks[:10]
    assert len({t.difficulty for t in SUITE.tasks}) == 1 or len({t.difficulty for t in first}) > 1
