"""The self-improvement loop end to end: real git, gateway, process sandbox and seed agent; a scripted model.

Three steps on a fresh archive: the seed is evaluated, and each generation's self-made change to its own system
prompt is what lets it solve the harder task. Then plain git takes over: the log shows the lineage with its
records, ``git show`` the self-made patch, and a human's ``git cherry-pick`` of the improvement onto another
agent's branch becomes a pending agent that the next step evaluates and gives its own branch.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pygit2
import pytest
from step_helpers import branches, git, gitdgm, make_archive, notes

from gitdgm.archive import Archive, agent_id
from gitdgm.demo import IMPROVEMENT_MARKER
from gitdgm.engine.progress import Progress
from gitdgm.views.progress import Lines
from gitdgm.archive.record import Record
from gitdgm.engine.services import open_runtime
from gitdgm.engine.step import StepReport, run_step

PROMPT = "dgm_agent/prompts/system.md"


def step(archive: Archive, seed: int = 1, progress: Progress | None = None) -> StepReport:
    with open_runtime(archive, progress=progress) as rt:
        return run_step(rt, seed=seed)


@pytest.fixture(scope="module")
def shown() -> io.StringIO:
    """What the three steps of ``evolved`` showed as they ran (a line per event)."""
    return io.StringIO()


@pytest.fixture(scope="module")
def evolved(tmp_path_factory: pytest.TempPathFactory, shown: io.StringIO) -> tuple[Path, list[StepReport]]:
    """An archive after three steps (shared by the tests below, which only read it or work on a copy)."""
    path = tmp_path_factory.mktemp("evolved") / "archive"
    archive = make_archive(path)
    return path, [step(archive, seed, Lines(shown)) for seed in (1, 2, 3)]


def test_three_generations_raise_the_score(evolved: tuple[Path, list[StepReport]]) -> None:
    path, reports = evolved
    snapshot = Archive(path).load()
    seed = snapshot.seed()
    assert reports[0].caught_up[0].id == seed.id and seed.score == pytest.approx(0.5)
    lineage = [seed]
    for number, report in enumerate(reports, start=1):
        (child,) = report.children
        assert child.status == "evaluated", child.reason
        agent = snapshot.agents[child.id]
        assert agent.parent == lineage[-1].id  # `best` breeds from the newest top scorer's line
        assert agent.generation == number
        assert agent.record.data["selection"]["policy"] == "best"
        lineage.append(agent)
    assert lineage[1].score > seed.score
    assert [a.score for a in lineage[1:]] == [pytest.approx(1.0)] * 3
    assert reports[-1].best_score == pytest.approx(1.0)
    # each generation really edited its own prompt once more
    texts = [Archive(path).file_text(a.commit, PROMPT) or "" for a in lineage]
    assert [t.count(IMPROVEMENT_MARKER) for t in texts] == [0, 1, 2, 3]
    assert "| evaluated | 1.000 |" in reports[0].markdown()


def test_each_phase_is_shown_as_it_starts(evolved: tuple[Path, list[StepReport]], shown: io.StringIO) -> None:
    _path, reports = evolved
    seed, child = reports[0].caught_up[0].id, reports[0].children[0].id
    events = [line.split("] ", 1)[1] for line in shown.getvalue().splitlines()]
    first_step = events[:events.index(f"{child}: evaluated 1.00") + 1]
    expected = [f"catching up {seed}", f"checking {seed}", f"evaluating {seed}",
                f"evaluating {seed}: stage 1, 2 task(s), 2 at a time", f"{seed}: evaluated 0.50",
                "selecting parents (best, seed 1)", f"diagnosing {seed}", f"self-modifying {seed}",
                f"committing the child of {seed}", f"checking {child}", f"evaluating {child}",
                f"evaluating {child}: stage 1, 2 task(s), 2 at a time", f"{child}: evaluated 1.00"]
    assert [e for e in first_step if ": task " not in e] == expected
    tasks = [e for e in first_step if ": task " in e]
    assert [t.split(" ")[3] for t in tasks] == ["1/2", "2/2", "1/2", "2/2"]  # each task as it lands
    assert all(re.search(r" (resolved|unresolved) \(\d+\.\ds\)$", t) for t in tasks)
    assert sum(e.startswith("selecting parents") for e in events) == 3


def test_git_log_shows_the_lineage_with_scores(evolved: tuple[Path, list[StepReport]]) -> None:
    path, _reports = evolved
    log = git(path, "log", "--graph", "--notes=dgm", "--all")
    records = notes(path)
    snapshot = Archive(path).load()
    assert len(snapshot.agents) == 4
    for agent in snapshot.agents.values():
        assert f"commit {agent.commit}" in log and agent.commit in records
        if agent.parent:
            assert f'parent = "{agent.parent}"' in log
    assert log.count("score = 1.0") >= 3 and "score = 0.5" in log
    assert log.count('status = "evaluated"') == 4
    assert log.lstrip().startswith("*")  # a graph
    for branch in branches(path):
        assert records[branches(path)[branch]]["status"] == "evaluated"


def test_git_show_is_the_self_modification(evolved: tuple[Path, list[StepReport]]) -> None:
    path, reports = evolved
    child = reports[0].children[0]
    shown = git(path, "show", f"dgm/{child.id}")
    assert f"+Always {IMPROVEMENT_MARKER}." in shown
    assert f"diff --git a/{PROMPT} b/{PROMPT}" in shown
    assert shown.count("diff --git") == 1  # the self-made patch and nothing else
    message = git(path, "log", "-1", "--format=%B", f"dgm/{child.id}")
    subject, _, rest = message.partition("\n\n")
    assert subject == "Make the agent verify its fix by running the tests before it finishes"
    assert "# Improve yourself" in rest and "run the tests before it finishes" in rest  # the problem statement
    trailers = git(path, "log", "-1", "--format=%(trailers:only,unfold)", f"dgm/{child.id}")
    assert f"Gitdgm-Parent: {child.parent}" in trailers
    assert "Gitdgm-Generation: 1" in trailers and "Gitdgm-Model: scripted-test" in trailers
    author = git(path, "log", "-1", "--format=%an|%cn", f"dgm/{child.id}").strip()
    assert author == f"agent {child.parent}|gitdgm"
    assert git(path, "rev-list", "--parents", "-1", f"dgm/{child.id}").split()[1].startswith(child.parent)


def test_cherry_picked_improvement_is_evaluated_by_the_next_step(
        evolved: tuple[Path, list[StepReport]], tmp_path: Path) -> None:
    source, reports = evolved
    path = tmp_path / "archive"
    git(source, "clone", "-q", str(source), str(path))
    git(path, "fetch", "-q", "origin", "refs/heads/dgm/*:refs/heads/dgm/*", "refs/notes/*:refs/notes/*")
    archive = Archive(path)
    snapshot = archive.load()
    seed, improvement = snapshot.seed(), snapshot.agents[reports[0].children[0].id]
    # another agent, without the improvement: the seed plus a file of its own, on its own dgm/ branch
    other = _agent_with_extra_file(archive, seed.commit)
    git(path, "-c", "advice.detachedHead=false", "checkout", "-q", f"dgm/{agent_id(other)}")
    git(path, "cherry-pick", improvement.commit)  # plain git: onto the other agent's branch
    picked = git(path, "rev-parse", "HEAD").strip()
    assert git(path, "rev-parse", f"dgm/{agent_id(other)}").strip() == picked
    git(path, "checkout", "-q", "main")

    report = step(archive, seed=4)
    outcome = next(o for o in report.caught_up if o.id == agent_id(picked))
    assert outcome.origin == "pending" and outcome.status == "evaluated" and outcome.score == pytest.approx(1.0)
    assert git(path, "rev-parse", f"dgm/{agent_id(picked)}").strip() == picked  # adopted onto its own branch
    assert git(path, "rev-parse", f"dgm/{agent_id(other)}").strip() == other  # the original branch restored
    record = archive.read_record(picked)
    assert record.status == "evaluated" and record.data["origin"] == "external"
    assert record.data["parent"] == agent_id(other)


def _agent_with_extra_file(archive: Archive, base: str) -> str:
    """An admitted agent made by hand: ``base``'s tree plus one file, with an evaluated record."""
    repo = archive.repo
    builder = repo.TreeBuilder(repo[base].peel(pygit2.Tree))
    builder.insert("NOTES.md", repo.create_blob(b"Hand-made variant.\n"), pygit2.enums.FileMode.BLOB)
    commit = archive.create_agent_commit(str(builder.write()), base, "Hand-made variant")
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="evaluated", parent=agent_id(base), generation=1, score=0.5,
                                            resolved=1, attempted=2))
    return commit


def test_step_dry_run_changes_nothing(evolved: tuple[Path, list[StepReport]]) -> None:
    """`gitdgm step --dry-run` names what it would do without touching the archive."""
    path, _reports = evolved
    before = git(path, "for-each-ref")
    result = gitdgm(path, "step", "--dry-run", "--seed", "7")
    assert result.returncode == 0, result.stderr
    assert "would evaluate 0 pending agent(s)" in result.stdout and "would breed from (best, seed 7)" in result.stdout
    assert git(path, "for-each-ref") == before
