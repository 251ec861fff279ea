"""Helpers shared by the archive tests: a tiny agent, real archives in tmp dirs, plain git, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from gitdgm.archive import Archive
from gitdgm.cli.main import cli
from gitdgm.archive.create import init_archive
from gitdgm.archive.record import Record


def make_agent_dir(path: Path) -> Path:
    """The smallest agent: agent.toml plus one module."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "agent.toml").write_text('schema = 1\nname = "tiny"\nentry = ["python3", "-m", "tiny"]\n')
    (path / "tiny.py").write_text('print("tiny agent")\n')
    return path


def new_archive(tmp_path: Path, name: str = "archive") -> tuple[Archive, str]:
    """A fresh archive (working clone) seeded with the tiny agent; returns it and the seed's commit."""
    archive, seed_id = init_archive(tmp_path / name, make_agent_dir(tmp_path / f"{name}-seed"))
    return archive, str(archive.repo.references[f"refs/heads/dgm/{seed_id}"].target)


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def evaluated(parent: str | None, generation: int, score: float, **extra: Any) -> Record:
    attempted = 10
    return Record.new(status="evaluated", parent=parent[:12] if parent else None, generation=generation,
                      score=score, resolved=round(score * attempted), attempted=attempted, **extra)


def add_child(archive: Archive, parent: str, subject: str, files: dict[str, str], *, body: str = "",
              score: float | None = 0.5, status: str = "evaluated", work: Path) -> str:
    """A child made the way a step makes one: materialise the parent, edit files, commit, branch, note."""
    directory = archive.materialise(parent, work / f"child-{subject.replace(' ', '-')}")
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    tree = archive.tree_from_directory(directory)
    generation = archive.read_record(parent).generation + 1
    commit = archive.create_agent_commit(tree, parent, subject, body,
                                         {"Gitdgm-Parent": parent[:12], "Gitdgm-Generation": str(generation)})
    archive.set_branch(commit)
    if status == "evaluated":
        archive.write_record(commit, evaluated(parent, generation, score or 0.0))
    else:
        archive.write_record(commit, Record.new(status=status, parent=parent[:12], generation=generation))
    return commit


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def gitdgm_script() -> str:
    """The installed console script (next to this interpreter, else on PATH)."""
    beside = Path(sys.executable).with_name("gitdgm")
    found = str(beside) if beside.exists() else shutil.which("gitdgm")
    assert found, "the gitdgm console script is not installed (pip install -e .[dev])"
    return found


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([gitdgm_script(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60,
                          check=False)
