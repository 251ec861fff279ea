"""Helpers for the step tests: a real archive (real seed agent) with a tiny suite and a scripted model.

The suite is two builtin tasks (one easy, one harder) and the script is ``gitdgm.demo``'s: the easy task is solved
by any agent, the harder one only by agents whose system prompt carries the marker the scripted self-modification
appends (the demo's first lesson, taught again and again). Tests that need another behaviour put their own
scenarios first (the first matching scenario answers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.archive import Archive
from gitdgm.demo import demo_script, demo_tasks, write_demo_suite
from gitdgm.archive.create import init_archive
from gitdgm.suites import load_suite

PHASES = ("catch-up", "check", "evaluate", "diagnose", "self-modify", "commit")
TASKS = 2


def make_archive(path: Path, *, scenarios: list[dict[str, Any]] | None = None, workers: int = 2,
                 tasks: int = TASKS) -> Archive:
    """A fresh archive at ``path`` whose seed is still pending (the first step evaluates it)."""
    archive, _seed = init_archive(path)
    chosen = demo_tasks(load_suite("builtin"), tasks, lessons=1)
    write_demo_suite(chosen, path / "suite")
    script = demo_script(chosen, lessons=1)
    script["scenario"] = (scenarios or []) + script["scenario"]
    config = {"schema": 1, "model": {"name": "scripted-test", "base_url": "scripted:model.toml"},
              "selection": {"policy": "best", "parents": 1},
              "eval": {"suite": "suite", "stages": [len(chosen)], "thresholds": [], "workers": workers},
              "selfmod": {"time_limit": 60, "max_turns": 10}, "sandbox": {"backend": "process"}}
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(), "model.toml": tomli_w.dumps(script).encode()}
    files.update({p.relative_to(path).as_posix(): p.read_bytes()
                  for p in sorted((path / "suite").rglob("*")) if p.is_file()})
    archive.commit_files(files, "test experiment: scripted model and a two-task suite")
    return archive


def set_scenarios(path: Path, scenarios: list[dict[str, Any]]) -> None:
    """Put ``scenarios`` in front of the archive's script (the working tree's copy is what a step reads)."""
    script_file = path / "model.toml"
    script = tomllib.loads(script_file.read_text())
    script["scenario"] = scenarios + script["scenario"]
    script_file.write_text(tomli_w.dumps(script))


def copy_archive(source: Path, dest: Path) -> Archive:
    shutil.copytree(source, dest, symlinks=True)
    return Archive(dest)


def gitdgm(path: Path, command: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300,
           kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """``gitdgm`` as a real subprocess (a kill -9 must hit a process of its own); ``kill_at`` a phase makes it
    SIGKILL itself as its step enters that phase (support/faults.py)."""
    env = {**os.environ, **(env or {})}
    if kill_at is None:
        argv = [sys.executable, "-c", "from gitdgm.cli import main; main()"]
    else:
        argv = [sys.executable, "-m", "support.faults", kill_at]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")]))
    return subprocess.run([*argv, command, "-C", str(path), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def git(path: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def notes(path: Path) -> dict[str, dict[str, Any]]:
    """Every record note, parsed with tomllib (a note that is not TOML fails the test)."""
    out = {}
    for line in git(path, "notes", "--ref=dgm", "list").splitlines():
        _blob, commit = line.split()
        out[commit] = tomllib.loads(git(path, "notes", "--ref=dgm", "show", commit))
    return out


def branches(path: Path, prefix: str = "refs/heads/dgm/") -> dict[str, str]:
    """ref name → commit for every ref under ``prefix``."""
    lines = git(path, "for-each-ref", "--format=%(refname) %(objectname)", prefix).splitlines()
    return dict(line.split() for line in lines)


def assert_valid(path: Path) -> dict[str, dict]:
    """fsck passes, every note is TOML, every dgm/ branch has one, and no two live agents share a tree."""
    git(path, "fsck", "--strict", "--no-progress")
    records = notes(path)
    for ref, commit in branches(path).items():
        assert commit in records, f"{ref} has no note"
    by_tree: dict[str, list[str]] = defaultdict(list)
    for commit in records:
        by_tree[git(path, "rev-parse", f"{commit}^{{tree}}").strip()].append(commit)
    for commits in by_tree.values():
        live = [c for c in commits if records[c]["status"] != "rejected"]
        assert len(live) <= 1, f"agents {live} have the same tree and none is recorded as a duplicate"
    return records
