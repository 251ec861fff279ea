"""HumanEval and SWE-bench adapters on real data: the installed package and a fixture checkout (Polyglot:
test_polyglot.py and test_polyglot_grading.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitdgm.errors import ConfigError
from gitdgm.sandbox import open_sandbox
from gitdgm.suites import load_suite
from gitdgm.suites import swebench as swe
from gitdgm.archive.scratch import Workspace
from grading_helpers import grade_workspace, task_workspace

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def sandbox():
    return open_sandbox("process", quiet=True)


def agent_repo(task, tmp_path: Path) -> Workspace:
    return task_workspace(task, tmp_path / task.id)


# --- HumanEval --------------------------------------------------------------------------------------------------


def test_humaneval_loads_164_from_the_package() -> None:
    suite = load_suite("humaneval")
    assert len(suite.tasks) == 164 and len({t.id for t in suite.tasks}) == 164
    assert [t.id for t in suite.tasks[:3]] == ["humaneval-0", "humaneval-16", "humaneval-32"]


def test_humaneval_canonical_solution_passes_and_stub_fails(tmp_path: Path, sandbox) -> None:
    task = load_suite("humaneval").get("humaneval-32")  # its test uses poly(), a helper from the prompt
    workspace = agent_repo(task, tmp_path)
    repo = workspace.directory
    assert [p.name for p in repo.iterdir() if p.name != ".git"] == ["solution.py"]
    stub = (repo / "solution.py").read_text()
    assert "def find_zero(xs: list):" in stub and "raise NotImplementedError" in stub and "find_zero" in task.problem
    assert grade_workspace(task, workspace, sandbox).outcome == "unresolved"
    task.write_solution(repo)
    result = grade_workspace(task, workspace, sandbox)
    assert result.outcome == "resolved", result.output


# --- SWE-bench --------------------------------------------------------------------------------------------------


@pytest.fixture
def swebench_data(tmp_path: Path) -> Path:
    """The fixture repository as a local clone under repos/, and the dataset pointing at its commit."""
    clone = tmp_path / "repos" / "acme__calc"
    shutil.copytree(FIXTURES / "swebench" / "acme__calc", clone)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=clone, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True, text=True)
    text = (FIXTURES / "swebench" / "instances.json").read_text().replace("BASE_COMMIT", head.stdout.strip())
    dataset = tmp_path / "instances.json"
    dataset.write_text(text)
    return dataset


def test_swebench_instance_converts(swebench_data: Path, tmp_path: Path, sandbox) -> None:
    task = swe.load(swebench_data, grader="local").get("acme__calc-1")
    assert task.problem.startswith("divide() truncates") and task.difficulty == "easy"
    assert "tests/test_ops.py::test_divide_returns_a_float" in task.test_command
    assert "tests/test_ops.py::test_add" in task.test_command
    assert task.tests.paths() == ["tests/test_ops.py"] and task.solution.paths() == ["calc/ops.py"]
    workspace = agent_repo(task, tmp_path)
    repo = workspace.directory
    task.write_repo(tmp_path / "plain")
    assert not (tmp_path / "plain" / ".git").exists() and "divide_returns" not in (repo / "tests/test_ops.py").read_text()
    assert grade_workspace(task, workspace, sandbox).outcome == "unresolved"
    task.write_solution(repo)
    assert grade_workspace(task, workspace, sandbox).outcome == "resolved"
    objects = _count_objects(swebench_data.parent / "repos" / "acme__calc")
    assert swe.diff(task, repo) == json.loads((FIXTURES / "swebench" / "instances.json").read_text())[0]["patch"]
    assert _count_objects(swebench_data.parent / "repos" / "acme__calc") == objects  # the clone is left alone


def _count_objects(clone: Path) -> str:
    return subprocess.run(["git", "count-objects"], cwd=clone, check=True, capture_output=True, text=True).stdout


def test_swebench_errors(swebench_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("swebench") is None:
        with pytest.raises(ConfigError, match="pip install swebench"):
            swe.load(swebench_data, grader="harness")
    with pytest.raises(ConfigError, match="needs a clone of acme/calc at"):
        swe.load(swebench_data, repos_dir=tmp_path / "elsewhere", grader="local")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"instance_id": "x", "repo": "acme/calc"}) + "\n")
    with pytest.raises(ConfigError, match="instance 1 \\(x\\) lacks 'base_commit'"):
        swe.load(bad, grader="local")
    stale = tmp_path / "stale.json"
    stale.write_text(swebench_data.read_text().replace('"base_commit": "', '"base_commit": "ff'))
    with pytest.raises(ConfigError, match="is not in"):
        swe.load(stale, grader="local")
    monkeypatch.setenv(swe.GRADER_ENV, "local")
    assert load_suite(f"swebench:{swebench_data}").tasks[0].grader is None
