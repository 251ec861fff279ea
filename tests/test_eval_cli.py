"""``gitdgm eval`` end to end: real git, gateway, process (or docker) sandbox and seed agent; a scripted model.

Each test builds an archive whose default branch holds a four-task suite, the model's script and the stages, runs
the command, and reads the result the way a user would: ``git notes --ref=dgm show dgm/<id>`` parsed as TOML.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eval_helpers import (
    first_requests,
    git,
    gitdgm_argv,
    make_archive,
    note,
    outcomes,
    script,
)

from gitdgm.cli.main import cli
from gitdgm.gateway.fake import FakeUpstream

MIXED = {"t1-add": "solve", "t2-max": "wrong", "t3-neg": "none", "t4-len": "solve"}
MIXED_OUTCOMES = {"t1-add": "resolved", "t2-max": "unresolved", "t3-neg": "unresolved", "t4-len": "resolved"}


def run_eval(path: Path, agent: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["eval", agent, "-C", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_eval_records_each_outcome_and_the_pooled_score(tmp_path: Path) -> None:
    _archive, seed = make_archive(tmp_path / "a", MIXED)
    result = run_eval(tmp_path / "a", seed)
    record = note(tmp_path / "a", seed)
    assert outcomes(record) == MIXED_OUTCOMES
    assert (record["status"], record["resolved"], record["attempted"], record["score"]) == ("evaluated", 2, 4, 0.5)
    assert record["stages"] == [{"stage": 1, "tasks": 4, "resolved": 2}]
    assert record["evaluation"]["suite"] == "tiny" and record["evaluation"]["sandbox"] == "process"
    assert record["tasks"]["t3-neg"]["patch_lines"] == 0 and record["tasks"]["t1-add"]["patch_lines"] > 0
    assert all(t["requests"] >= 1 and t["tokens"] > 0 for t in record["tasks"].values())
    assert f"{seed}: score 0.500 (2/4 resolved), status evaluated" in result.output
    assert record["tasks"]["t3-neg"]["why"] == "empty_patch" and record["tasks"]["t2-max"]["why"] == "tests_failed"
    assert "t3-neg" in result.output and "unresolved (empty_patch)" in result.output
    assert f"evaluating {seed}: stage 1, 4 task(s)" in result.stderr  # progress, a line per event off a terminal
    assert "task 4/4" in result.stderr and "task 4/4" not in result.stdout  # stdout stays the result


@pytest.mark.parametrize(("threshold", "ran"), [(0.5, ["t1-add", "t2-max", "t3-neg", "t4-len"]),
                                                (0.6, ["t1-add", "t2-max"])])
def test_stage_two_runs_only_when_stage_one_clears_its_threshold(tmp_path: Path, threshold: float,
                                                                  ran: list[str]) -> None:
    # stage 1 = t1 (resolved) + t2 (unresolved): 0.5 clears a threshold of 0.5 and not one of 0.6
    _archive, seed = make_archive(tmp_path / "a", MIXED, stages=[2, 2], thresholds=[threshold])
    run_eval(tmp_path / "a", seed)
    record = note(tmp_path / "a", seed)
    assert sorted(outcomes(record)) == ran
    assert record["status"] == "evaluated"
    assert record["score"] == 0.5
    expected_stages = [{"stage": 1, "tasks": 2, "resolved": 1}]
    if len(ran) == 4:
        expected_stages.append({"stage": 2, "tasks": 2, "resolved": 1})
        assert record["tasks"]["t4-len"]["stage"] == 2
    assert record["stages"] == expected_stages


def test_a_killed_eval_resumes_without_running_a_recorded_task_again(tmp_path: Path) -> None:
    path = tmp_path / "a"
    with FakeUpstream(script(MIXED, {"t3-neg": 3.0})) as fake:
        _archive, seed = make_archive(path, MIXED, workers=1, base_url=fake.base_url, delays={"t3-neg": 3.0})
        proc = subprocess.Popen(gitdgm_argv(path, "eval", seed), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            # t1 and t2 are recorded (one worker, in order) once t3's agent has asked the (slow) model
            _wait(lambda: first_requests(fake.requests_seen, "t3-neg") == 1, proc)
            agents = _children(proc.pid)
            assert sorted(outcomes(note(path, seed))) == ["t1-add", "t2-max"]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        for pid in agents:  # the agent runs in a session of its own: end it as a crashed machine would
            _killpg(pid)
        assert note(path, seed)["status"] == "evaluating"

        rerun = subprocess.run(gitdgm_argv(path, "eval", seed), check=False, capture_output=True, text=True,
                               timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        record = note(path, seed)
        assert outcomes(record) == MIXED_OUTCOMES
        assert (record["status"], record["score"]) == ("evaluated", 0.5)
        runs = {task: first_requests(fake.requests_seen, task) for task in MIXED}
        assert runs == {"t1-add": 1, "t2-max": 1, "t3-neg": 2, "t4-len": 1}  # t3 was cut off, so ran again
    subjects = git(path, "log", "--format=%s", "refs/notes/dgm").splitlines()
    for task, outcome in MIXED_OUTCOMES.items():
        assert subjects.count(f"gitdgm: {seed} {task} {outcome}") == 1, subjects


def test_three_shards_record_what_one_unsharded_eval_records(tmp_path: Path) -> None:
    _archive, seed = make_archive(tmp_path / "whole", MIXED, workers=1)
    run_eval(tmp_path / "whole", seed)
    whole = note(tmp_path / "whole", seed)

    _archive, seed = make_archive(tmp_path / "sharded", MIXED, workers=1)
    shard_tasks = {"1/3": ["t1-add", "t4-len"], "2/3": ["t2-max"], "3/3": ["t3-neg"]}
    seen: list[str] = []
    for shard, tasks in shard_tasks.items():
        run_eval(tmp_path / "sharded", seed, "--shard", shard)
        record = note(tmp_path / "sharded", seed)
        seen += tasks
        assert sorted(outcomes(record)) == sorted(seen)
        assert record["status"] == ("evaluated" if shard == "3/3" else "evaluating")
    sharded = note(tmp_path / "sharded", seed)
    assert outcomes(sharded) == outcomes(whole) == MIXED_OUTCOMES
    for key in ("score", "resolved", "attempted", "status", "stages"):
        assert sharded[key] == whole[key], key
    assert sharded["shards"] == {"1/3": "done", "2/3": "done", "3/3": "done"}


def test_bad_shard_is_one_line_error(tmp_path: Path) -> None:
    _archive, seed = make_archive(tmp_path / "a", MIXED)
    result = CliRunner().invoke(cli, ["eval", seed, "-C", str(tmp_path / "a"), "--shard", "4/3"])
    assert result.exit_code != 0
    assert "--shard" in result.output and "Traceback" not in result.output
    assert "tasks" not in note(tmp_path / "a", seed)


def test_eval_in_docker(tmp_path: Path, docker_sandbox: object) -> None:
    behaviours = {"t1-add": "solve", "t2-max": "wrong"}
    _archive, seed = make_archive(tmp_path / "a", behaviours, stages=[2])
    run_eval(tmp_path / "a", seed, "--sandbox", "docker")
    record = note(tmp_path / "a", seed)
    assert outcomes(record) == {"t1-add": "resolved", "t2-max": "unresolved"}
    assert record["evaluation"]["sandbox"] == "docker"
    assert record["score"] == 0.5


def _wait(condition, proc: subprocess.Popen, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "gitdgm eval ended before it could be killed"
        assert time.monotonic() < deadline, "timed out waiting for the evaluation"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the sandboxed agent runs): read from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
