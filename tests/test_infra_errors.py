"""What is not the agent's doing is never scored against it (DESIGN §12): a model that is down, a model that fails
some calls, a toolchain that is missing. Such attempts end as ``error``: kept apart from the score, never a reason
to reject, run again by the next ``gitdgm step`` or ``gitdgm eval``, and the command says so with exit code 6.

Real archives, the real CLI as a subprocess, the real gateway and seed agent, the process sandbox; the model is a
scripted server, or a port where nothing listens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from eval_helpers import TASKS, first_requests, git, gitdgm_argv, make_archive, note, script

from gitdgm.archive import Archive, agent_id
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.archive.record import Record

SOLVE_ALL = dict.fromkeys(TASKS, "solve")


def run_gitdgm(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-used"}
    return subprocess.run(gitdgm_argv(path, *args), capture_output=True, text=True, env=env, timeout=600, check=False)


def edit_config(path: Path, **sections: dict[str, Any]) -> None:
    """Change gitdgm.toml in the archive's working tree (what commands read)."""
    config = tomllib.loads((path / "gitdgm.toml").read_text())
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    (path / "gitdgm.toml").write_text(tomli_w.dumps(config))


def dead_url() -> str:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def harmless_child(archive: Archive, parent: str) -> str:
    """A pending child of ``parent``: its tree plus a note to self, committed onto its own dgm/ branch."""
    with tempfile.TemporaryDirectory() as tmp:
        tree_dir = archive.materialise(archive.resolve(parent).commit, Path(tmp) / "tree")
        (tree_dir / "NOTES.md").write_text("A harmless edit.\n")
        tree = archive.tree_from_directory(tree_dir)
    commit = archive.create_agent_commit(tree, archive.resolve(parent).commit, "Add a note to self")
    archive.set_branch(commit)
    return agent_id(commit)


def refs(path: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(path), "for-each-ref", "--format=%(refname)"], capture_output=True,
                         text=True, check=True).stdout
    return sorted(line for line in out.splitlines() if line.startswith(("refs/heads/dgm/", "refs/dgm/")))


def test_a_step_with_the_model_down_judges_no_agent_exits_6_and_the_next_step_runs_everything(
        tmp_path: Path) -> None:
    path = tmp_path / "a"
    archive, seed = make_archive(path, SOLVE_ALL)
    child = harmless_child(archive, seed)
    before = refs(path)
    edit_config(path, model={"base_url": dead_url()})

    down = run_gitdgm(path, "step", "--seed", "1")
    assert down.returncode == 6, down.stdout + down.stderr
    assert "cannot be used" in down.stderr and "unreachable" in down.stderr and "Traceback" not in down.stderr
    assert refs(path) == before  # no child made, nobody moved to refs/dgm/rejected/
    record = note(path, seed)
    assert record["status"] == "pending" and not record.get("tasks") and not record.get("errors")

    edit_config(path, model={"base_url": "scripted:model.toml"})
    back = run_gitdgm(path, "step", "--seed", "1")
    assert back.returncode == 0, back.stdout + back.stderr
    for agent in (seed, child):
        record = note(path, agent)
        assert record["status"] == "evaluated" and record["score"] == 1.0 and not record.get("errors")


def test_model_calls_that_fail_while_the_model_is_up_are_errors_until_the_retry_cap(tmp_path: Path) -> None:
    """One task's calls always fail (HTTP 503) while the model answers otherwise: an error, not a score, run
    again by the next eval; after ``eval.error_retries`` such attempts it counts, so an agent cannot escape a
    score by making its own calls fail."""
    failing = [{"name": "t2 fails", "match": {"user": "TASK t2-max:"}, "turns": [{"status": 503}]}]
    path = tmp_path / "a"
    behaviours = {"t1-add": "solve", "t2-max": "solve"}
    with FakeUpstream(script(behaviours, extra=failing)) as fake:
        archive, seed = make_archive(path, behaviours, stages=[2], base_url=fake.base_url)
        edit_config(path, eval={"error_retries": 2})
        first = run_gitdgm(path, "eval", seed)
        assert first.returncode == 6, first.stdout + first.stderr
        assert "t2-max" in first.stdout and "error" in first.stdout and "Traceback" not in first.stderr
        record = note(path, seed)
        assert record["status"] == "evaluated" and record["attempted"] == 1 and record["score"] == 1.0
        error = record["errors"]["t2-max"]
        assert error["outcome"] == "error" and error["tries"] == 1 and error["model_failures"] >= 1
        assert "t2-max" not in record["tasks"] and record["errored"] == 1

        calls = first_requests(fake.requests_seen, "t1-add")
        second = run_gitdgm(path, "eval", seed)
        assert second.returncode == 0, second.stdout + second.stderr
        assert first_requests(fake.requests_seen, "t1-add") == calls  # only the errored task ran again
    record = note(path, seed)
    assert record["tasks"]["t2-max"]["outcome"] == "unresolved"
    assert record["tasks"]["t2-max"]["why"] == "repeated_error" and record["errored"] == 0
    assert record["attempted"] == 2 and record["score"] == 0.5


def test_a_missing_toolchain_is_an_error_run_again_once_installed(tmp_path: Path) -> None:
    path = tmp_path / "a"
    archive, seed = make_archive(path, SOLVE_ALL, stages=[2])
    task_file = path / "suite" / "t2-max" / "task.toml"
    task = tomllib.loads(task_file.read_text())
    task_file.write_text(tomli_w.dumps({**task, "test_command": "gitdgm-test-no-such-toolchain run"}))

    missing = run_gitdgm(path, "eval", seed)
    assert missing.returncode == 6, missing.stdout + missing.stderr
    record = note(path, seed)
    assert record["errors"]["t2-max"]["outcome"] == "error" and record["errors"]["t2-max"]["tries"] == 0
    assert "toolchain" in record["errors"]["t2-max"]["why"]
    assert record["score"] == 1.0 and record["attempted"] == 1  # the error is not in the score

    task_file.write_text(tomli_w.dumps(task))
    installed = run_gitdgm(path, "eval", seed)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    record = note(path, seed)
    assert record["tasks"]["t2-max"]["outcome"] == "resolved" and not record.get("errors")
    assert record["score"] == 1.0 and record["attempted"] == 2


def test_a_child_with_nothing_but_errors_is_deferred_never_rejected(tmp_path: Path) -> None:
    path = tmp_path / "a"
    archive, seed = make_archive(path, SOLVE_ALL, stages=[2])
    assert run_gitdgm(path, "eval", seed).returncode == 0
    child = harmless_child(archive, seed)
    for task_id in TASKS:
        task_file = path / "suite" / task_id / "task.toml"
        task_file.write_text(task_file.read_text().replace("python3 check_", "gitdgm-test-no-such-python check_"))

    step = run_gitdgm(path, "step", "--seed", "1", "--json")
    assert step.returncode == 6, step.stdout + step.stderr
    assert f"refs/dgm/rejected/{child}" not in refs(path)
    record = note(path, child)
    assert record["status"] == "evaluating" and set(record["errors"]) == {"t1-add", "t2-max"}
    assert "ended in error" in step.stderr


def test_eval_of_a_rejected_agent_records_results_and_keeps_note_and_ref_consistent(tmp_path: Path) -> None:
    path = tmp_path / "a"
    archive, seed = make_archive(path, SOLVE_ALL, stages=[1])
    child = harmless_child(archive, seed)
    commit = archive.resolve(child).commit
    archive.move_to_rejected(commit)
    archive.write_record(commit, Record.new(status="rejected", parent=seed, generation=1, reason="by hand"))

    result = run_gitdgm(path, "eval", child)
    assert result.returncode == 0, result.stdout + result.stderr
    record = tomllib.loads(git(path, "notes", "--ref=dgm", "show", commit))
    assert record["status"] == "rejected" and record["score"] == 1.0 and record["reason"] == "by hand"
    assert f"refs/dgm/rejected/{child}" in refs(path) and f"refs/heads/dgm/{child}" not in refs(path)
