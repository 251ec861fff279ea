"""The evaluation harness through its Python API (``gitdgm.engine.evaluate``): real git, gateway, process sandbox and
seed agent, with a scripted upstream started here so each test can read every request the model was sent."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from eval_helpers import (
    HIDDEN_MARKER,
    REFERENCE_MARKER,
    TASKS,
    first_requests,
    hidden_file,
    make_agent,
    make_archive,
    note,
    outcomes,
    script,
)

from gitdgm.errors import BudgetExceeded
from gitdgm.views.progress import Lines
from gitdgm.archive.store import pack_logs, unpack_logs
from gitdgm.engine.evaluate import Shard, evaluate, functional, stage_tasks
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.archive.record import Record
from gitdgm.engine.services import archive_config, open_runtime
from gitdgm.suites import humaneval

ALL_PEEK = {task: "peek" for task in TASKS}


def test_the_agent_never_sees_hidden_tests_or_reference_solutions(tmp_path: Path) -> None:
    with FakeUpstream(script(ALL_PEEK)) as fake:
        archive, seed = make_archive(tmp_path / "a", ALL_PEEK, base_url=fake.base_url)
        with open_runtime(archive) as rt:
            record = evaluate(rt, archive.resolve(seed))
        sent = json.dumps(fake.requests_seen)
    assert outcomes(record.data) == {task: "resolved" for task in TASKS}  # the hidden tests ran, after the agent
    # what `ls -laR; cat` showed the model: the repository file and its buggy body ...
    assert "adder.py" in sent and "return a - b" in sent and "== ./adder.py" in sent
    # ... and never a hidden test or a reference solution
    for task in TASKS:
        assert hidden_file(task) not in sent
    assert HIDDEN_MARKER not in sent and REFERENCE_MARKER not in sent and "tests_hidden" not in sent
    logs = archive.task_logs(archive.resolve(seed).commit)
    assert sorted(logs) == sorted(TASKS)
    assert f"{HIDDEN_MARKER} passed" in logs["t1-add"]["test_output"]
    assert hidden_file("t1-add") not in logs["t1-add"]["patch"] and "+    return a + b" in logs["t1-add"]["patch"]
    calls = logs["t1-add"]["model_calls"].splitlines()  # the gateway's own record of the run, beside the agent's
    assert calls[0].startswith("call 1: HTTP 200 in ") and "tool calls: bash" in calls[0]
    assert len(calls) == len(next(s for s in script(ALL_PEEK)["scenario"] if s["name"] == "t1-add")["turns"])


def test_a_humaneval_task_solved_with_its_canonical_solution_is_resolved(tmp_path: Path) -> None:
    problems = {p["task_id"]: p for p in humaneval.read_problems()}
    first, second = problems["HumanEval/0"], problems["HumanEval/16"]  # stage 1 of the strided order

    def writes(code: str) -> list[dict]:
        command = f"cat > solution.py <<'GITDGM_EOF'\n{code}GITDGM_EOF"
        return [{"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}, {"content": "Done."}]

    scenarios = [
        {"name": "canonical", "match": {"user": f"`{first['entry_point']}`"},
         "turns": writes(first["prompt"] + first["canonical_solution"])},
        {"name": "wrong", "match": {"user": f"`{second['entry_point']}`"},
         "turns": writes(second["prompt"] + "    return -1\n")},
    ]
    archive, seed = make_archive(tmp_path / "a", {}, suite="humaneval", stages=[2], extra=scenarios)
    with open_runtime(archive) as rt:
        assert rt.suite.tasks[0].id == "humaneval-0" and rt.suite.tasks[1].id == "humaneval-16"
        evaluate(rt, archive.resolve(seed))
    record = note(tmp_path / "a", seed)
    assert outcomes(record) == {"humaneval-0": "resolved", "humaneval-16": "unresolved"}
    assert record["evaluation"]["suite"] == "humaneval"


def test_a_finished_evaluation_runs_nothing_again(tmp_path: Path) -> None:
    behaviours = {"t1-add": "solve", "t2-max": "none", "t3-neg": "solve", "t4-len": "wrong"}
    with FakeUpstream(script(behaviours)) as fake:
        archive, seed = make_archive(tmp_path / "a", behaviours, base_url=fake.base_url)
        shown = io.StringIO()
        with open_runtime(archive, progress=Lines(shown)) as rt:
            first = evaluate(rt, archive.resolve(seed))
        finished = re.findall(r"task \d+/4 (\S+) (\S+)", shown.getvalue())
        assert sorted(finished) == sorted(outcomes(first.data).items())
        seen = len(fake.requests_seen)
        with open_runtime(archive, progress=Lines(shown)) as rt:
            again = evaluate(rt, archive.resolve(seed))
        assert len(fake.requests_seen) == seen
        assert len(re.findall(r"task \d+/4", shown.getvalue())) == len(TASKS)  # nothing run, nothing shown
    assert again.data["tasks"] == first.data["tasks"] and again.status == "evaluated"
    assert functional(again)


def test_a_spent_budget_stops_the_evaluation_and_a_later_run_resumes_it(tmp_path: Path) -> None:
    behaviours = {task: "solve" for task in TASKS}
    with FakeUpstream(script(behaviours)) as fake:
        archive, seed = make_archive(tmp_path / "a", behaviours, base_url=fake.base_url, workers=1)
        config = archive_config(archive)
        tight = dataclasses.replace(config, budget=dataclasses.replace(config.budget, max_tokens=500))
        with open_runtime(archive, tight) as rt, pytest.raises(BudgetExceeded):
            evaluate(rt, archive.resolve(seed))
        stopped = note(tmp_path / "a", seed)
        assert stopped["status"] == "evaluating" and list(outcomes(stopped)) == ["t1-add"]
        with open_runtime(archive) as rt:
            evaluate(rt, archive.resolve(seed))
        assert {task: first_requests(fake.requests_seen, task) for task in TASKS} == dict.fromkeys(TASKS, 1)
    done = note(tmp_path / "a", seed)
    assert done["status"] == "evaluated" and done["score"] == 1.0


def test_an_agent_that_crashes_or_edits_nothing_is_not_functional(tmp_path: Path) -> None:
    archive, seed = make_archive(tmp_path / "a", {}, stages=[2])
    crasher = make_agent(archive, seed, {"agent.toml": 'schema = 1\nname = "crash"\n'
                                                       'entry = ["python3", "-c", "raise SystemExit(3)"]\n'})
    fixer = make_agent(archive, seed, {"agent.toml": 'schema = 1\nname = "fixer"\nentry = ["python3", "-m", "fix"]\n',
                                       "fix.py": "from pathlib import Path\n"
                                                 "Path('adder.py').write_text('def f(a, b):\\n    return a + b\\n')\n"})
    with open_runtime(archive) as rt:
        crashed = evaluate(rt, crasher)
        fixed = evaluate(rt, fixer)
    # its own crash is the agent's doing: unresolved, not an error that would spare it a score
    assert outcomes(crashed.data) == {"t1-add": "unresolved", "t2-max": "unresolved"}
    assert crashed.tasks["t1-add"]["why"] == "empty_patch" and crashed.errors == {}
    assert crashed.tasks["t1-add"]["exit_code"] == 3 and not functional(crashed)
    # no model call at all: the patch alone is graded
    assert outcomes(fixed.data) == {"t1-add": "resolved", "t2-max": "unresolved"}
    assert fixed.tasks["t1-add"]["requests"] == 0 and functional(fixed)


def test_shards_split_each_stage_round_robin() -> None:
    shards = [Shard.parse(f"{i}/3") for i in (1, 2, 3)]
    taken = [[p for p in range(7) if s.takes(p)] for s in shards]
    assert taken == [[0, 3, 6], [1, 4], [2, 5]]
    for bad in ("0/3", "4/3", "x", "1/0", "2"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


def test_stages_take_the_next_tasks_in_suite_order() -> None:
    assert stage_tasks(tuple("abcde"), [2, 2]) == [["a", "b"], ["c", "d"]]
    assert stage_tasks(tuple("abc"), [2, 5, 1]) == [["a", "b"], ["c"]]


def test_logs_round_trip_and_garbage_reads_as_empty() -> None:
    logs = {"t1": {"patch": "+x\n" * 1000, "outcome": "resolved"}}
    packed = pack_logs(logs)
    assert len(packed) < len(json.dumps(logs)) and unpack_logs(packed) == logs
    assert unpack_logs(None) == {} and unpack_logs(b"not zlib") == {}


def test_functional_needs_one_graded_patch() -> None:
    record = Record.new(status="evaluating", parent=None, generation=0)
    record.tasks.update({"a": {"outcome": "unresolved", "why": "empty_patch"},
                         "b": {"outcome": "unresolved", "why": "agent_timed_out"},
                         "c": {"outcome": "unresolved", "why": "repeated_error"}})
    assert not functional(record)
    record.tasks["d"] = {"outcome": "unresolved", "why": "tests_failed"}
    assert functional(record)


def test_outcomes_written_by_0_1_0_read_as_unresolved_with_why() -> None:
    raw = Record.new(status="evaluated", parent=None, generation=0,
                     tasks={"a": {"outcome": "empty_patch"}, "b": {"outcome": "timeout"}, "c": {"outcome": "error"},
                            "d": {"outcome": "resolved"}}).dumps()
    tasks = Record.parse(raw).tasks
    assert {k: (v["outcome"], v.get("why")) for k, v in tasks.items()} == {
        "a": ("unresolved", "empty_patch"), "b": ("unresolved", "agent_timed_out"),
        "c": ("unresolved", "empty_patch"), "d": ("resolved", None)}
