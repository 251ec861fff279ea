"""A damaged archive is reported by the ref, agent or note at fault, with the fix that works; the rest goes on.

Real archives in temporary directories, the real CLI; one real step (scripted model, process sandbox) shows a
step carrying on past a branch that is not an agent and rejecting a hand-made child that has no agent.toml.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pygit2
import pytest
from archive_helpers import add_child, evaluated, git, invoke, make_agent_dir, new_archive
from click.testing import Result
from step_helpers import gitdgm, make_archive

from gitdgm.archive import Archive
from gitdgm.archive.record import Record
from gitdgm.archive.sync import sync


@pytest.fixture
def family(tmp_path: Path) -> tuple[Archive, str, str]:
    """A seed (0.4) and an admitted child (0.6)."""
    archive, seed = new_archive(tmp_path)
    archive.write_record(seed, evaluated(None, 0, 0.4))
    child = add_child(archive, seed, "A child", {"x.py": "X = 1\n"}, score=0.6, work=tmp_path)
    return archive, seed, child


def _warnings(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line.removeprefix("gitdgm: warning: ") for line in result.stderr.splitlines()]


def _error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("gitdgm: error: "), result.stderr
    return lines[-1].removeprefix("gitdgm: error: ")


def _orphan_commit(archive: Archive, files: dict[str, bytes]) -> str:
    builder = archive.repo.TreeBuilder()
    for name, data in files.items():
        builder.insert(name, archive.repo.create_blob(data), pygit2.enums.FileMode.BLOB)
    return archive.create_agent_commit(str(builder.write()), None, "My own agent")


def _on_top_of_main(archive: Archive, _files: dict[str, bytes]) -> str:
    main = archive.repo.references["refs/heads/main"].peel(pygit2.Commit)
    return archive.create_agent_commit(str(main.tree_id), str(main.id), "An experiment tweak")


@pytest.mark.parametrize("target, why", [
    (lambda archive, _files: str(archive.repo.references["refs/heads/main"].target), "the default branch's commit"),
    (_on_top_of_main, "a commit that descends from no agent"),
    (_orphan_commit, "a root commit that is not the archive's seed"),
])
def test_a_dgm_branch_that_is_not_an_agent_is_reported_and_skipped(
        family: tuple[Archive, str, str], target: Callable[[Archive, dict[str, bytes]], str], why: str) -> None:
    archive, seed, child = family
    commit = target(archive, {"README.md": b"not an agent\n"})
    git(archive.path, "branch", "dgm/bogus", commit)
    path = str(archive.path)
    expected = (f"dgm/bogus points at {commit[:12]}, {why}", "(and it has no agent.toml)", "not an agent, skipped",
                "delete it with `git branch -D dgm/bogus`")
    for command in (["ls"], ["tree"], ["select", "--seed", "1"], ["step", "--dry-run", "--seed", "1"]):
        result = invoke(*command, "-C", path)
        warnings = _warnings(result)
        assert len(warnings) == 1 and all(part in warnings[0] for part in expected), (command, warnings)
        assert "gitdgm init" not in result.output
    listed = json.loads(invoke("ls", "-C", path, "--json").stdout)
    assert {row["id"] for row in listed} == {seed[:12], child[:12]}  # the rest goes on
    dry = invoke("step", "--dry-run", "--seed", "1", "-C", path).stdout.splitlines()
    assert dry[0] == "would evaluate 0 pending agent(s): -"  # the bogus commit is not taken for a pending agent
    assert set(dry[1].split(": ")[1].split()) <= {seed[:12], child[:12]}
    git(archive.path, "branch", "-D", "dgm/bogus")  # the fix the warning gives is enough
    assert _warnings(invoke("ls", "-C", path)) == []


def test_an_agents_branch_moved_onto_the_default_branch_is_pointed_back(family: tuple[Archive, str, str]) -> None:
    archive, _seed, child = family
    git(archive.path, "branch", "-f", f"dgm/{child[:12]}", "main")
    warnings = _warnings(invoke("ls", "-C", str(archive.path)))
    assert len(warnings) == 1 and f"dgm/{child[:12]} points at" in warnings[0]
    fix = f"git branch -f dgm/{child[:12]} {child}"
    assert f"point it back at its agent with `{fix}`" in warnings[0]
    git(archive.path, *fix.split()[1:])
    assert _warnings(invoke("ls", "-C", str(archive.path))) == []


def test_a_hand_made_root_commit_without_agent_toml_is_skipped_and_deleting_its_branch_is_enough(
        family: tuple[Archive, str, str]) -> None:
    archive, seed, child = family
    commit = _orphan_commit(archive, {"notes.txt": b"my own agent, someday\n"})
    archive.set_branch(commit)
    # what an older gitdgm's step wrote before its check failed: a pending note (deleting the branch left it)
    archive.write_record(commit, Record.new(status="pending", parent=None, generation=0, origin="external"))
    warnings = _warnings(invoke("ls", "-C", str(archive.path)))
    assert warnings == [f"dgm/{commit[:12]} points at {commit[:12]}, a root commit that is not the archive's seed "
                        f"({seed[:12]}) (and it has no agent.toml): not an agent, skipped; delete it with "
                        f"`git branch -D dgm/{commit[:12]}`"]
    dry = invoke("step", "--dry-run", "-C", str(archive.path))
    assert "would evaluate 0 pending agent(s)" in dry.stdout and "fix the seed agent" not in dry.output
    git(archive.path, "branch", "-D", f"dgm/{commit[:12]}")
    after = invoke("ls", "-C", str(archive.path), "--json")
    assert after.stderr == "" and {row["id"] for row in json.loads(after.stdout)} == {seed[:12], child[:12]}
    assert archive.read_record(commit) is not None  # its note is still there, and ignored: no ref names it


def test_a_step_goes_on_past_a_bogus_branch_and_rejects_a_hand_made_child_without_agent_toml(tmp_path: Path) -> None:
    path = tmp_path / "archive"
    archive = make_archive(path)
    seed = archive.load().seed()
    git(path, "branch", "dgm/bogus", "main")
    work = archive.materialise(seed.commit, tmp_path / "hand-made")
    (work / "agent.toml").unlink()
    hand_made = archive.create_agent_commit(archive.tree_from_directory(work), seed.commit, "Drop agent.toml")
    git(path, "branch", "dgm/hand-made", hand_made)

    step = gitdgm(path, "step", "--collect", "--json")  # catch up only: evaluate what is pending, breed nothing
    assert step.returncode == 0, step.stdout + step.stderr
    assert "dgm/bogus points at" in step.stderr and "git branch -D dgm/bogus" in step.stderr
    outcomes = {o["id"]: o for o in json.loads(step.stdout)["caught_up"]}
    assert outcomes[seed.id]["status"] == "evaluated"
    assert outcomes[hand_made[:12]]["status"] == "rejected"
    assert "agent.toml is missing" in outcomes[hand_made[:12]]["reason"]


def test_a_corrupt_seed_note_is_named_with_its_fix_and_a_step_does_not_pass_silently(tmp_path: Path) -> None:
    path = tmp_path / "archive"
    archive = make_archive(path)  # the seed is pending: the only agent
    seed = archive.load().seed()
    good = git(path, "notes", "--ref=dgm", "show", seed.commit)
    git(path, "notes", "--ref=dgm", "add", "-f", "-m", "status = [pending", seed.commit)

    warnings = _warnings(invoke("ls", "-C", str(path)))
    assert len(warnings) == 1
    for part in (f"agent {seed.id} (dgm/{seed.id})", "its note in refs/notes/dgm is not a gitdgm record",
                 "not a TOML note (", f"`git notes --ref=dgm edit {seed.id}`"):
        assert part in warnings[0]
    tree = invoke("tree", "-C", str(path))
    assert tree.exit_code == 0 and seed.id in tree.stdout and "unreadable" in tree.stdout
    assert "gitdgm init" not in tree.output

    step = gitdgm(path, "step")
    assert step.returncode == 1, step.stdout + step.stderr
    message = step.stderr.strip().splitlines()[-1]
    for part in ("a step has nothing to do", f"the seed agent {seed.id}", "refs/notes/dgm", "not a TOML note",
                 f"`git notes --ref=dgm edit {seed.id}`"):
        assert part in message, message
    git(path, "notes", "--ref=dgm", "add", "-f", "-m", good, seed.commit)  # the fix: a record again
    assert f"would evaluate 1 pending agent(s): {seed.id}" in gitdgm(path, "step", "--dry-run").stdout


def test_a_corrupt_note_with_a_good_copy_on_the_remote_says_how_to_take_it(family: tuple[Archive, str, str],
                                                                           tmp_path: Path) -> None:
    archive, _seed, child = family
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    archive.repo.remotes.create("origin", str(remote))
    sync(archive)
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", 'schema = 1\nstatus = "sleeping"', child)
    warnings = _warnings(invoke("ls", "-C", str(archive.path)))
    assert len(warnings) == 1 and "status 'sleeping'" in warnings[0]
    command = warnings[0].split("or take origin's copy with `", 1)[1].split("`", 1)[0]
    assert command.startswith("git notes --ref=dgm add -f -C ")
    git(archive.path, *command.split()[1:])
    assert _warnings(invoke("ls", "-C", str(archive.path))) == []


def test_a_corrupt_note_keeps_the_lineage_below_it(family: tuple[Archive, str, str], tmp_path: Path) -> None:
    archive, seed, child = family
    grandchild = add_child(archive, child, "A grandchild", {"y.py": "Y = 1\n"}, score=0.7, work=tmp_path)
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", "not toml at all", child)
    snapshot = archive.load()
    assert snapshot.agents[grandchild[:12]].parent == child[:12]
    assert snapshot.agents[child[:12]].status == "unreadable" and snapshot.seed().id == seed[:12]
    assert snapshot.agents[child[:12]] not in snapshot.pending()
    lines = invoke("tree", "-C", str(archive.path)).stdout.splitlines()
    assert [line for line in lines if grandchild[:12] in line][0].index(grandchild[:12]) > \
        [line for line in lines if child[:12] in line][0].index(child[:12])  # drawn under its parent


def test_a_missing_seed_names_the_agent_and_what_to_restore(family: tuple[Archive, str, str]) -> None:
    archive, seed, child = family
    git(archive.path, "branch", "-D", f"dgm/{seed[:12]}")
    assert invoke("ls", "-C", str(archive.path)).exit_code == 0  # its note still makes it an agent: its child's parent
    git(archive.path, "notes", "--ref=dgm", "remove", seed)
    message = _error(invoke("ls", "-C", str(archive.path)))
    assert message.startswith(f"the seed agent is missing: agent {child[:12]} (dgm/{child[:12]}) descends from no "
                              f"agent (its lineage ends at commit {seed[:12]}")
    assert "restore the seed's branch and note" in message and "gitdgm init" not in message


def test_init_refuses_a_second_seed(family: tuple[Archive, str, str], tmp_path: Path) -> None:
    archive, seed, _child = family
    message = _error(invoke("init", str(archive.path), "--seed", str(tmp_path / "archive-seed")))
    assert message == (f"{archive.path} is already a gitdgm archive with seed {seed[:12]} (2 agent(s)): grow it "
                       "with `gitdgm step` (init would add a second seed)")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    archive.repo.remotes.create("origin", str(remote))
    git(archive.path, "push", "-q", "origin", "main")
    sync(archive)
    before = git(archive.path, "for-each-ref")
    plain = tmp_path / "plain"
    git(tmp_path, "clone", "-q", str(remote), str(plain))
    cloned = git(plain, "for-each-ref")
    message = _error(invoke("init", str(plain), "--seed", str(tmp_path / "archive-seed")))
    assert "is already a gitdgm archive (init would add a second seed)" in message
    assert "fetch them with `gitdgm sync --fetch-only`, then grow it with `gitdgm step`" in message
    assert git(plain, "for-each-ref") == cloned and git(archive.path, "for-each-ref") == before


def test_a_repository_that_is_not_an_archive_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    for command in (["ls"], ["tree"], ["step"]):
        message = _error(invoke(*command, "-C", str(repo)))
        assert message == (f"not a gitdgm archive: {repo} has no dgm/ branches and no records (refs/notes/dgm): "
                           "create one with `gitdgm init`, or clone one with `gitdgm clone URL`")
    assert invoke("init", str(repo), "--seed", str(make_agent_dir(tmp_path / "agent"))).exit_code == 0  # it works
