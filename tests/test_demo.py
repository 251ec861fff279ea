"""``gitdgm demo``: the whole loop offline (scripted model, process sandbox), as a new user first runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from step_helpers import git, notes

from gitdgm.archive import Archive
from gitdgm.demo import IMPROVEMENT_MARKER

pytestmark = pytest.mark.slow


def test_demo_runs_offline_and_prints_its_table(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    env = {key: value for key, value in os.environ.items() if key != "OPENAI_API_KEY"}  # needs no key
    env["COLUMNS"] = "200"
    result = subprocess.run([sys.executable, "-c", "from gitdgm.cli import main; main()", "demo", "--dir",
                             str(directory), "--generations", "2", "--tasks", "4", "--parents", "1"],
                            capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SCRIPTED" in out and "step 1/2:" in out and "step 2/2:" in out
    snapshot = Archive(directory).load()
    seed = snapshot.seed()
    assert seed.score == pytest.approx(0.5)  # the easy half of the four tasks
    best = snapshot.best()
    assert best.score == pytest.approx(1.0) and best.parent is not None
    assert IMPROVEMENT_MARKER in (Archive(directory).file_text(best.commit, "dgm_agent/prompts/system.md") or "")
    for agent in snapshot.agents.values():  # the result table lists every agent
        assert agent.id[:5] in out
    assert f"best {best.id} (1.00)" in out.split("step 2/2:")[1]
    records = notes(directory)
    assert len(records) == len(snapshot.agents) == 3
    git(directory, "fsck", "--strict", "--no-progress")


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    result = subprocess.run([sys.executable, "-c", "from gitdgm.cli import main; main()", "demo", "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "is not empty" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]

