"""A step that is killed, starved or fed nonsense leaves a valid archive, and the next step carries on.

``gitdgm step`` runs as a real subprocess; ``kill_at`` makes it SIGKILL itself as it enters a phase
(``support/faults.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import tomli_w
from step_helpers import (
    PHASES,
    assert_valid,
    branches,
    copy_archive,
    git,
    gitdgm,
    make_archive,
    notes,
    set_scenarios,
)

from gitdgm.archive import Archive
from gitdgm.engine.services import open_runtime
from gitdgm.engine.generation import Generation
from gitdgm.engine.journal import Journal


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new archive: the seed is pending."""
    path = tmp_path_factory.mktemp("fresh") / "archive"
    make_archive(path)
    return path


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory, fresh: Path) -> Path:
    """The same archive with its seed evaluated (0.5: it solves the easy task only)."""
    path = tmp_path_factory.mktemp("ready") / "archive"
    archive = copy_archive(fresh, path)
    with open_runtime(archive) as rt:
        outcome = Generation(rt, Journal(archive, "fixture")).settle(archive.load().seed(), "pending")
    assert outcome.status == "evaluated" and outcome.score == pytest.approx(0.5)
    return path


@pytest.mark.parametrize("phase", PHASES)
def test_kill_at_each_phase_then_step_again(phase: str, fresh: Path, ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(fresh if phase == "catch-up" else ready, path)
    before = set(notes(path))

    killed = gitdgm(path, "step", "--seed", "1", kill_at=phase)
    assert killed.returncode == -9, killed.stderr
    assert (path / ".git" / "gitdgm" / "journal.json").is_file()
    after_kill = assert_valid(path)
    assert before <= set(after_kill)
    made = set(after_kill) - before  # a child committed before the kill is a pending agent, never lost
    assert len(made) == (1 if phase in ("check", "evaluate") else 0)

    again = gitdgm(path, "step", "--seed", "2")
    assert again.returncode == 0, again.stderr
    assert "interrupted step" in again.stdout and "discarded" in again.stdout
    assert f"was killed in phase {phase}" in again.stdout
    assert not (path / ".git" / "gitdgm" / "journal.json").exists()
    records = assert_valid(path)
    assert set(after_kill) <= set(records)
    assert all(r["status"] in ("evaluated", "rejected") for r in records.values())
    for commit in made:
        assert records[commit]["status"] == "evaluated" and records[commit]["score"] == pytest.approx(1.0)
    assert len(records) == len(after_kill) + 1  # the second step bred exactly one child


def test_malformed_diagnosis_makes_no_child(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, [{"name": "bad-diagnosis", "match": {"user": "Diagnose a coding agent"},
                          "turns": [{"content": "I think the agent is fine {not json"}] * 5}])
    before = notes(path)
    result = gitdgm(path, "step", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "no child" in result.stdout and "no usable diagnosis after 3 attempts" in result.stdout
    assert notes(path).keys() == before.keys()
    assert_valid(path)


def test_empty_self_modification_is_rejected(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, [{"name": "lazy", "match": {"user": "Improve yourself"},
                          "turns": [{"content": "Nothing to change."}]}])
    result = gitdgm(path, "step", "--seed", "1", "--json")
    assert result.returncode == 0, result.stderr
    (child,) = json.loads(result.stdout)["children"]
    assert child["status"] == "rejected" and "empty self-modification" in child["reason"]
    records = assert_valid(path)
    commit = git(path, "rev-parse", f"refs/dgm/rejected/{child['id']}").strip()
    assert records[commit]["status"] == "rejected" and "empty self-modification" in records[commit]["reason"]
    assert f"refs/heads/dgm/{child['id']}" not in branches(path)


def test_child_that_deletes_itself_fails_the_functional_check(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, [{"name": "self-destruct", "match": {"user": "Improve yourself"},
                          "turns": [{"tool_calls": [{"name": "bash", "arguments": {"command": "rm -rf dgm_agent"}}]},
                                    {"content": "Removed the clutter."}]}])
    result = gitdgm(path, "step", "--seed", "1", "--json")
    assert result.returncode == 0, result.stderr
    (child,) = json.loads(result.stdout)["children"]
    assert child["status"] == "rejected"
    assert "functional check failed" in child["reason"] and "'dgm_agent' is missing" in child["reason"]
    commit = git(path, "rev-parse", f"refs/dgm/rejected/{child['id']}").strip()
    assert git(path, "ls-tree", "--name-only", commit).split() == ["README.md", "agent.toml", "tests"]
    assert_valid(path)


def test_budget_exhausted_mid_step_exits_4_and_the_next_step_resumes(fresh: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(fresh, path)
    config = tomllib.loads((path / "gitdgm.toml").read_text())
    config["eval"]["workers"] = 1  # one task at a time: the budget runs out between the two
    (path / "gitdgm.toml").write_text(tomli_w.dumps(config))
    seed = Archive(path).load().seed()

    starved = gitdgm(path, "step", "--seed", "1", "--budget", "2000tokens")
    assert starved.returncode == 4, starved.stdout + starved.stderr
    assert "budget" in starved.stderr and "Traceback" not in starved.stderr
    assert "Stopped early" in starved.stdout
    record = notes(path)[seed.commit]
    assert record["status"] == "evaluating" and len(record["tasks"]) == 1
    assert_valid(path)

    resumed = gitdgm(path, "step", "--seed", "1")
    assert resumed.returncode == 0, resumed.stderr
    final = notes(path)[seed.commit]
    assert final["status"] == "evaluated" and len(final["tasks"]) == 2
    for task, result in record["tasks"].items():
        assert final["tasks"][task] == result  # resumed: the finished task was not run again
    assert_valid(path)


def test_a_second_concurrent_step_exits_5(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    first = subprocess.Popen([sys.executable, "-c", "from gitdgm.cli.main import main; main()", "step", "-C", str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = path / ".git" / "gitdgm" / "step.lock"
        deadline = time.monotonic() + 60
        while not (lock.is_file() and lock.read_text().strip() == str(first.pid)):
            assert time.monotonic() < deadline and first.poll() is None, "the first step never took the lock"
            time.sleep(0.05)
        second = gitdgm(path, "step")
        assert second.returncode == 5, second.stderr
        assert f"another gitdgm step (pid {first.pid})" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()
