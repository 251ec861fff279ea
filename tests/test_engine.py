"""The search engine end to end: real git archives, the process sandbox, the scripted model, the real CLI.

What these tests prove:

* dgm's generation runs its children's jobs at once: the functional checks of two children overlap in time, two
  task evaluations run together (never more than the two workers) and the records name both workers;
* twins (two children of one parent with the same tree, made and checked at once) are one agent: the other is
  rejected as its duplicate, as when children are made one after the other;
* ``latest`` (the no-open-endedness ablation) builds on the newest admitted agent, even one worse than the seed,
  which ``best`` and ``dgm`` would pass over;
* hgm through ``gitdgm run``: the seed is evaluated on every task uncounted, exactly ``--max-evals`` counted task
  results carry the run's id, each child's ``[selection]`` says hgm and its worker, and ``gitdgm select --policy
  hgm --json`` gives each candidate its clade and a probability, summing to one;
* a two-worker hgm run killed with SIGKILL at random moments (and as it starts its first evaluation) leaves a
  valid archive, and the same command finishes the same run: no agent lost, no result redone, the budget spent
  exactly, the journal gone;
* the evaluation budget holds with more workers than evaluations (submissions are counted before they start).

The scripted model's self-modification (``improve``) is set per test: most children also get a nonce, so that
children made at once differ, and drop their slowest own tests, so that a functional check takes a second.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from step_helpers import assert_valid, copy_archive, gitdgm, make_archive, notes, set_scenarios

import gitdgm.engine.generation as generation_module
import gitdgm.engine.search as search_module
from gitdgm.archive import Archive
from gitdgm.engine.generation import Generation
from gitdgm.engine.journal import Journal
from gitdgm.engine.services import open_runtime
from gitdgm.engine.step import run_step

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-c", "from gitdgm.cli.main import main; main()"]
PROMPT = "dgm_agent/prompts/system.md"
HGM_8 = ("run", "--policy", "hgm", "--max-evals", "8", "--workers", "2", "--seed", "5")
HGM_6 = ("run", "--policy", "hgm", "--max-evals", "6", "--workers", "2", "--seed", "3")


def bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}


def improve(*commands: str) -> dict[str, Any]:
    """A scripted self-modification (the first that matches answers every "Improve yourself")."""
    return {
        "name": "improve",
        "match": {"user": "Improve yourself"},
        "turns": [bash(" && ".join(commands)), {"content": "Done."}],
    }


LESSON = f"printf '\\nAlways run the tests before you finish.\\n' >> {PROMPT}"  # solves the harder task too
NONCE = "head -c 16 /dev/urandom | od -An -tx1 > dgm_agent/prompts/nonce.txt"  # children made at once differ
# the agent's slowest own tests go: its functional check takes a second rather than fifteen (it still runs)
QUICK = "rm -f tests/test_agent_loop.py tests/test_text_protocol.py tests/test_bash_tool.py tests/test_model_client.py"
UNIQUE = [improve(LESSON, NONCE, QUICK)]
# a self-modification that makes things worse: an agent told to answer in haiku writes a poem, not a fix
HAIKU = [
    improve(f"printf '\\nAlways answer in haiku.\\n' >> {PROMPT}", QUICK),
    {
        "name": "haiku-instead-of-a-fix",
        "match": {"system": "Always answer in haiku", "user": r"(?s)\A(?!.*(Improve yourself|Diagnose a coding))"},
        "turns": [bash("echo 'old pond / a frog jumps in / splash' > HAIKU.txt"), {"content": "Done."}],
    },
]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new archive (the seed is pending), two tasks: one easy, one only solved with the demo's first lesson."""
    path = tmp_path_factory.mktemp("fresh") / "archive"
    make_archive(path, workers=2)
    return path


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory, fresh: Path) -> Path:
    """The same archive with its seed evaluated (0.5: it solves the easy task only)."""
    path = tmp_path_factory.mktemp("ready") / "archive"
    archive = copy_archive(fresh, path)
    journal = Journal(archive, "fixture")
    with open_runtime(archive) as rt:
        outcome = Generation(rt, journal).settle(archive.load().seed(), "pending")
    journal.done()  # as a step ends: the runs below find no journal but their own
    assert outcome.status == "evaluated" and outcome.score == pytest.approx(0.5)
    return path


def run_id(stdout: str, policy: str) -> str:
    found = re.search(rf"^run ([0-9a-f]+) \({policy}\): ", stdout, re.MULTILINE)
    assert found, stdout
    return found.group(1)


def counted(records: dict[str, dict[str, Any]], run: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(commit, task, result) of every task result that spent run ``run``'s budget."""
    return [
        (commit, task, result)
        for commit, record in records.items()
        for task, result in record.get("tasks", {}).items()
        if result.get("run") == run and result.get("counted", True)
    ]


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def most_at_once(spans: list[tuple[float, float]]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    at_once = most = 0
    for _, change in events:
        at_once += change
        most = max(most, at_once)
    return most


def test_dgm_runs_a_generations_children_at_once(ready: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "archive"
    archive = copy_archive(ready, path)
    set_scenarios(path, [improve(LESSON, NONCE)])  # the agent's own tests kept: each check takes seconds
    spans: dict[str, list[tuple[str, float, float]]] = {"check": [], "task": []}

    def timed(kind: str, function: Any) -> Any:
        def wrapper(rt: Any, agent: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.monotonic()
            try:
                return function(rt, agent, *args, **kwargs)
            finally:
                spans[kind].append((agent.id, start, time.monotonic()))

        return wrapper

    monkeypatch.setattr(generation_module, "functional_check", timed("check", generation_module.functional_check))
    monkeypatch.setattr(search_module, "run_and_record", timed("task", search_module.run_and_record))
    with open_runtime(archive) as rt:
        report = run_step(rt, parents=2, seed=1, workers=2)

    children = [c.id for c in report.children if c.status == "evaluated" and c.score == pytest.approx(1.0)]
    assert len(children) == 2, report.markdown()
    (a, a_start, a_end), (b, b_start, b_end) = spans["check"]
    assert {a, b} == set(children) and overlap((a_start, a_end), (b_start, b_end))  # both children checked at once
    tasks = [(start, end) for _, start, end in spans["task"]]
    assert len(tasks) == 4 and most_at_once(tasks) == 2  # two tasks at a time, never more than the workers
    records = notes(path)
    made = [r for r in records.values() if r.get("parent")]
    assert sorted(r["selection"]["worker"] for r in made) == [1, 2]  # made at once: one per worker
    results = [t for r in made for t in r["tasks"].values()]
    assert {(t["run"], t["policy"]) for t in results} == {(report.run, "best")}
    assert {t["worker"] for t in results} == {1, 2}


def test_twins_made_at_once_are_one_agent(ready: Path, tmp_path: Path) -> None:
    """Two children of one parent with the same tree, made and checked at once: one is the other's duplicate."""
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, [improve(LESSON, QUICK)])  # the same change each time
    result = gitdgm(path, "step", "--parents", "2", "--workers", "2", "--seed", "1", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    kept, twin = sorted(json.loads(result.stdout)["children"], key=lambda c: c["status"])
    assert (kept["status"], twin["status"]) == ("evaluated", "rejected"), (kept, twin)
    assert twin["reason"] == f"duplicate of agent {kept['id']} (same tree)"
    assert_valid(path)


def test_latest_builds_on_the_newest_admitted_agent_even_a_worse_one(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, HAIKU)
    seed = Archive(path).load().seed()

    result = gitdgm(path, "run", "--policy", "latest", "-n", "2", "--parents", "1", "--seed", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\(latest\): 4 task evaluation\(s\), 2 children made, 2 admitted", result.stdout), result.stdout
    snapshot = Archive(path).load()
    first, second = sorted((a for a in snapshot.agents.values() if a.parent), key=lambda a: a.generation or 0)
    assert first.parent == seed.id and first.admitted
    # the first child is worse than the seed (best and dgm would breed from the seed), yet it is the newest
    assert first.score == pytest.approx(0.0) and seed.score == pytest.approx(0.5)
    assert second.parent == first.id and second.generation == 2
    assert notes(path)[second.commit]["selection"]["policy"] == "latest"


def test_hgm_run_end_to_end(fresh: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(fresh, path)
    set_scenarios(path, UNIQUE)
    seed = Archive(path).load().seed()

    result = gitdgm(path, *HGM_6)
    assert result.returncode == 0, result.stdout + result.stderr
    run = run_id(result.stdout, "hgm")
    assert f"run {run} (hgm): 6 task evaluation(s)" in result.stdout
    records = notes(path)
    seed_results = records[seed.commit]["tasks"].values()
    assert len(seed_results) == 2 and all(r["run"] == run and r["counted"] is False for r in seed_results)
    spent = counted(records, run)
    assert len(spent) == 6 and seed.commit not in {commit for commit, _, _ in spent}
    assert all(
        r["outcome"] in ("resolved", "unresolved") and r["worker"] in (1, 2) and r["policy"] == "hgm"
        for _, _, r in spent
    )
    children = [r for r in records.values() if r.get("parent")]
    assert children and all(r["selection"]["policy"] == "hgm" and r["selection"]["run"] == run for r in children)
    assert all(r["selection"]["worker"] in (1, 2) and r["selection"]["budget"] == "6 evaluations" for r in children)

    chosen = gitdgm(path, "select", "--policy", "hgm", "--json", "--seed", "1")
    assert chosen.returncode == 0, chosen.stderr
    candidates = json.loads(chosen.stdout)["candidates"]
    assert candidates and all(re.fullmatch(r"\d+/\d+", c["clade"]) for c in candidates)
    assert sum(c["probability"] for c in candidates) == pytest.approx(1.0)
    assert_valid(path)


def kill_run_after(path: Path, event: str, delay: float) -> None:
    """``gitdgm run`` (HGM_8) as a process of its own, SIGKILLed ``delay`` seconds after its progress first shows
    ``event`` (so the kill lands in the same part of the run on a fast machine as on a slow one)."""
    log = path.parent / "killed-run.log"
    with log.open("w") as out:
        process = subprocess.Popen([*CLI, HGM_8[0], "-C", str(path), *HGM_8[1:]], stdout=out, stderr=out)
        deadline = time.monotonic() + 120
        while not re.search(EVENTS[event], log.read_text()) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        code = process.wait()
    assert code == -signal.SIGKILL, f"the run ended (exit {code}) before the kill:\n{log.read_text()}"


def resume_and_check(path: Path, args: tuple[str, ...], max_evals: int) -> None:
    """After a kill: the archive is valid; the same command finishes the same run, losing and redoing nothing."""
    journal = path / ".git" / "gitdgm" / "journal.json"
    run = json.loads(journal.read_text())["run"]["id"]
    before = assert_valid(path)

    resumed = gitdgm(path, *args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert run_id(resumed.stdout, "hgm") == run and f"{max_evals} task evaluation(s)" in resumed.stdout
    assert not journal.exists()
    after = assert_valid(path)
    assert set(before) <= set(after)  # no agent lost
    for commit, record in before.items():  # no recorded result run again
        for task, result in record.get("tasks", {}).items():
            assert after[commit]["tasks"][task] == result
    assert len(counted(after, run)) == max_evals  # the budget spent exactly: not what the kill dropped again


# progress lines a run shows (the seed is evaluated already): its first diagnosis, a child's check, a task result
EVENTS = {
    "making": r"\] diagnosing ",
    "checking": r"\] checking ",
    "evaluated": r": task \d+/\d+ \S+ (resolved|unresolved)",
}
# seeded random moments: as the first children are made, as they are checked, once the first result is in
KILLS = [
    (event, round(random.Random(f"kill {event}").uniform(0, most), 2))
    for event, most in (("making", 2), ("checking", 1), ("evaluated", 2))
]


@pytest.mark.parametrize(("event", "delay"), KILLS, ids=[f"{event}+{delay}s" for event, delay in KILLS])
def test_kill_9_at_a_random_moment_then_the_same_command_resumes(
    ready: Path, tmp_path: Path, event: str, delay: float
) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, UNIQUE)
    kill_run_after(path, event, delay)
    resume_and_check(path, HGM_8, 8)


def test_kill_9_as_the_first_evaluation_starts_then_resume(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, UNIQUE)
    killed = gitdgm(path, *HGM_6, kill_at="evaluate")  # a child's first task: a counted evaluation, never recorded
    assert killed.returncode == -9, killed.stderr
    jobs = json.loads((path / ".git" / "gitdgm" / "journal.json").read_text())["jobs"].values()
    assert "evaluate" in {job["phase"] for job in jobs}
    resume_and_check(path, HGM_6, 6)


def test_the_evaluation_budget_holds_with_more_workers_than_evaluations(ready: Path, tmp_path: Path) -> None:
    path = tmp_path / "archive"
    copy_archive(ready, path)
    set_scenarios(path, UNIQUE)
    result = gitdgm(path, "run", "--policy", "hgm", "--max-evals", "3", "--workers", "4", "--seed", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    run = run_id(result.stdout, "hgm")
    assert "3 task evaluation(s)" in result.stdout and "4 worker(s)" in result.stdout
    assert len(counted(notes(path), run)) == 3
