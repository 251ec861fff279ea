"""``gitdgm demo``: the whole loop offline (scripted model, process sandbox), as a new user first runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from step_helpers import git, notes

from gitdgm.archive import Archive
from gitdgm.demo import IMPROVEMENT_MARKER, LESSONS

pytestmark = pytest.mark.slow


def test_demo_runs_offline_and_prints_its_table(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}  # needs no key
    env["COLUMNS"] = "200"
    result = subprocess.run([sys.executable, "-c", "from gitdgm.cli.main import main; main()", "demo", "--dir",
                             str(directory), "--generations", "2", "--tasks", "4", "--parents", "1"],
                            capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SCRIPTED" in out and "step 1/2:" in out and "step 2/2:" in out
    archive = Archive(directory)
    snapshot = archive.load()
    seed = snapshot.seed()
    assert seed.score == pytest.approx(0.5)  # the two easy tasks of four (one medium, one hard)
    child = next(a for a in snapshot.agents.values() if a.generation == 1 and a.admitted)  # one may be a duplicate
    assert child.parent == seed.id and child.score == pytest.approx(0.75)  # the first lesson: the medium task
    for agent in snapshot.agents.values():
        prompt = archive.file_text(agent.commit, "dgm_agent/prompts/system.md") or ""
        learnt = [lesson.line() in prompt for lesson in LESSONS]
        if agent.status == "evaluated":  # each agent's score is what the lessons in its own code unlock
            assert agent.score == pytest.approx(0.5 + 0.25 * learnt[0] + 0.25 * all(learnt)), agent.id
        assert agent.id[:5] in out  # the result table lists every agent
    assert IMPROVEMENT_MARKER in (archive.file_text(child.commit, "dgm_agent/prompts/system.md") or "")
    best = snapshot.best()
    assert f"best {best.id} ({best.score:.2f})" in out.split("step 2/2:")[1]
    assert "step 2/2" in result.stderr and f"evaluating {seed.id}: task 4/4" in result.stderr  # progress lines
    records = notes(directory)
    assert len(records) == len(snapshot.agents) == 3
    git(directory, "fsck", "--strict", "--no-progress")


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    result = subprocess.run([sys.executable, "-c", "from gitdgm.cli.main import main; main()", "demo", "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "is not empty" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]

