"""gitdgm sync: the record merge rule, the notes tree merge, and runners sharing one bare remote."""

from __future__ import annotations

import subprocess
import tomllib
from itertools import permutations
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitdgm.archive import Archive
from gitdgm.cli.archive import ci_group, sync_command
from gitdgm.errors import ArchiveError
from gitdgm.archive.create import WORKFLOW_FILE, workflow_text
from gitdgm.archive.notes_merge import merge_record_data, merge_trees
from gitdgm.archive.record import Record
from gitdgm.archive.sync import sync


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_archive(path: Path) -> tuple[Archive, str]:
    """A bare archive with a seed agent (one file) and its note."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    archive = Archive(path)
    tree = archive.repo.TreeBuilder()
    tree.insert("agent.toml", archive.repo.create_blob(b'schema = 1\nname = "t"\nentry = ["true"]\n'), 0o100644)
    seed = archive.create_agent_commit(str(tree.write()), None, "Seed agent")
    archive.set_branch(seed)
    archive.write_record(seed, Record.new(status="evaluated", parent=None, generation=0, score=0.0))
    return archive, seed


def add_child(archive: Archive, parent: str, subject: str) -> str:
    commit = archive.create_agent_commit(str(archive.repo[parent].tree_id), parent, subject)
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="pending", parent=parent[:12], generation=1))
    return commit


@pytest.fixture
def shared(tmp_path: Path) -> tuple[Path, str, Archive, Archive]:
    """A bare remote holding an archive, and two runners' clones of it."""
    origin, seed = make_archive(tmp_path / "origin.git")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    origin.repo.remotes.create("origin", str(remote))
    sync(origin)
    clones = []
    for name in ("a", "b"):
        subprocess.run(["git", "clone", "-q", str(remote), str(tmp_path / name)], check=True, capture_output=True)
        clones.append(Archive(tmp_path / name))
        sync(clones[-1], fetch=True, push=False)
    return remote, seed, clones[0], clones[1]


# --- the record rule ----------------------------------------------------------------------------------------------
def test_records_merge_field_by_field_whatever_the_order() -> None:
    a = {"schema": 1, "status": "evaluating", "updated_at": "2026-01-01T00:00:02+00:00", "custom": {"x": 1},
         "tasks": {"t1": {"outcome": "resolved"},
                   "t2": {"outcome": "unresolved", "finished_at": "2026-01-01T00:00:01"}}}
    b = {"schema": 1, "status": "evaluated", "updated_at": "2026-01-01T00:00:01+00:00", "foreign": "kept",
         "custom": {"y": 2},
         "tasks": {"t2": {"outcome": "resolved", "finished_at": "2026-01-01T00:00:09"}, "t3": {"outcome": "error"}}}
    merged = merge_record_data(a, b)
    assert merged == merge_record_data(b, a)
    assert merged["status"] == "evaluated"  # progress order, not recency
    assert merged["tasks"] == {"t1": {"outcome": "resolved"}, "t3": {"outcome": "error"},
                               "t2": {"outcome": "resolved", "finished_at": "2026-01-01T00:00:09"}}
    assert (merged["resolved"], merged["attempted"], merged["score"]) == (2, 3, 2 / 3)
    assert merged["foreign"] == "kept" and merged["custom"] == {"x": 1, "y": 2}
    assert merged["updated_at"] == "2026-01-01T00:00:02+00:00"
    assert merge_record_data(merged, merged) == merged


def test_evaluated_outweighs_rejected_and_pending_never_wins() -> None:
    assert merge_record_data({"status": "rejected"}, {"status": "evaluated"})["status"] == "evaluated"
    assert merge_record_data({"status": "pending"}, {"status": "rejected"})["status"] == "rejected"


def test_shard_records_merge_into_the_unsharded_record() -> None:
    outcomes = {f"t{i}": "resolved" if i % 3 else "unresolved" for i in range(9)}
    full = {"schema": 1, "status": "evaluated", "parent": "abc", "generation": 2,
            "tasks": {t: {"outcome": o} for t, o in outcomes.items()}}
    full.update(resolved=6, attempted=9, score=6 / 9)
    shards = []
    for index in range(3):
        part = {t: {"outcome": o} for j, (t, o) in enumerate(outcomes.items()) if j % 3 == index}
        shards.append({"schema": 1, "status": "evaluating", "parent": "abc", "generation": 2, "tasks": part,
                       "shards": {f"{index + 1}/3": "done"}})
    for order in permutations(shards):
        merged = merge_record_data(merge_record_data(order[0], order[1]), order[2])
        assert {k: v for k, v in merged.items() if k != "shards"} == full
        partial = merge_record_data(order[0], order[1])
        assert partial["status"] == "evaluating"


def test_all_shards_rejected_makes_the_agent_rejected() -> None:
    a = {"schema": 1, "status": "evaluating", "tasks": {"t1": {"outcome": "error"}}, "shards": {"1/2": "rejected"}}
    b = {"schema": 1, "status": "evaluating", "tasks": {"t2": {"outcome": "error"}}, "shards": {"2/2": "rejected"}}
    assert merge_record_data(a, b)["status"] == "rejected"


# --- the tree merge -----------------------------------------------------------------------------------------------
def test_tree_merge_reads_flat_notes_and_keeps_both_sides(tmp_path: Path) -> None:
    archive, seed = make_archive(tmp_path / "a.git")
    repo = archive.repo
    base = repo.references["refs/notes/dgm"].peel().id
    child = add_child(archive, seed, "child")
    ours = repo.references["refs/notes/dgm"].peel()
    # the other side: plain git writes a flat note on another agent, based on the same base
    other = archive.create_agent_commit(str(repo[seed].tree_id), seed, "other")
    git(tmp_path / "a.git", "update-ref", "refs/notes/other", str(base))
    git(tmp_path / "a.git", "notes", "--ref=other", "add", "-m",
        'schema = 1\nstatus = "pending"\nparent = "x"\ngeneration = 1\n', other)
    theirs = repo.references["refs/notes/other"].peel()
    assert any(len(e.name) == 40 for e in theirs.tree)
    result = merge_trees(repo, repo[base].tree, ours.tree, theirs.tree)
    names = {f"{e.name}{leaf.name}" for e in repo[result.tree] for leaf in repo[e.id]}
    assert names == {seed, child, other} and result.merged == 0


# --- runners and a remote -----------------------------------------------------------------------------------------
def test_two_runners_updating_one_note_merge_to_the_union(shared: tuple[Path, str, Archive, Archive]) -> None:
    remote, seed, a, b = shared
    for runner, task in ((a, "task-a"), (b, "task-b")):
        record = runner.read_record(seed)
        record.tasks[task] = {"outcome": "resolved"}
        runner.write_record(seed, record)
    child_a, child_b = add_child(a, seed, "child a"), add_child(b, seed, "child b")
    assert sync(a).push_rejections == 0
    stats = sync(b)
    assert stats.records_merged == 1 and stats.notes_merges == 1 and stats.new_agents == 1
    sync(a)
    for runner in (a, b):
        agents = runner.load().agents
        assert {child_a[:12], child_b[:12], seed[:12]} == set(agents)
        assert set(runner.read_record(seed).tasks) == {"task-a", "task-b"}
    merge = Archive(remote).repo.references["refs/notes/dgm"].peel()
    assert len(merge.parents) == 2  # a real merge: the next push is a fast-forward
    assert Archive(remote).records.read(seed) == a.records.read(seed) == b.records.read(seed)
    git(remote, "fsck", "--strict", "--no-progress")


def test_a_push_losing_the_race_is_fetched_merged_and_retried(shared: tuple[Path, str, Archive, Archive],
                                                               tmp_path: Path) -> None:
    """The remote's hook makes another runner's notes land while this push is in flight, on its first push."""
    remote, seed, a, b = shared
    add_child(b, seed, "b's child")
    sync(b, fetch=False)
    b_tip = b.repo.references["refs/notes/dgm"].target
    add_child(a, seed, "a's child")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nif [ ! -e {tmp_path}/raced ]; then touch {tmp_path}/raced; "
                    f"env -u GIT_QUARANTINE_PATH git update-ref refs/notes/dgm {b_tip}; fi\ncat > /dev/null\n")
    hook.chmod(0o755)
    git(remote, "update-ref", "refs/notes/dgm", str(a.repo.references["refs/notes/remotes/origin/dgm"].target))
    stats = sync(a, backoff=0.01)
    assert stats.push_rejections >= 1 and stats.notes_merges >= 1
    assert len(Archive(remote).load().agents) == 3


def test_a_branch_pointing_elsewhere_on_the_remote_is_reported_not_overwritten(
        shared: tuple[Path, str, Archive, Archive]) -> None:
    remote, seed, a, _ = shared
    child = add_child(a, seed, "child")
    other = add_child(a, seed, "impostor")
    sync(a)
    git(remote, "update-ref", f"refs/heads/dgm/{child[:12]}", other)
    stats = sync(a)
    assert any(f"dgm/{child[:12]}" in c for c in stats.conflicts)
    assert git(remote, "rev-parse", f"refs/heads/dgm/{child[:12]}").strip() == other
    assert str(a.repo.references[f"refs/heads/dgm/{child[:12]}"].target) == child


def test_push_only_refuses_to_overwrite_newer_remote_notes(shared: tuple[Path, str, Archive, Archive]) -> None:
    _, seed, a, b = shared
    add_child(a, seed, "a")
    sync(a)
    add_child(b, seed, "b")
    with pytest.raises(ArchiveError, match="without --push-only"):
        sync(b, fetch=False)


def test_sync_without_a_remote_says_how_to_add_one(tmp_path: Path) -> None:
    make_archive(tmp_path / "lonely.git")
    result = CliRunner().invoke(sync_command, ["-C", str(tmp_path / "lonely.git")])
    assert result.exit_code == 1 and "git remote add origin" in str(result.exception)


def test_sync_command_reports_what_it_did(shared: tuple[Path, str, Archive, Archive]) -> None:
    _, seed, a, _ = shared
    add_child(a, seed, "child")
    result = CliRunner().invoke(sync_command, ["-C", str(a.path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert '"pushed_refs": 2' in result.output


def test_ci_init_commits_the_template_and_keeps_user_edits(tmp_path: Path) -> None:
    archive, _ = make_archive(tmp_path / "a.git")
    runner = CliRunner()
    path = str(tmp_path / "a.git")
    assert runner.invoke(ci_group, ["init", "-C", path], catch_exceptions=False).exit_code == 0
    assert archive.default_branch_file(WORKFLOW_FILE) == workflow_text().encode()
    assert "Up to date" in runner.invoke(ci_group, ["init", "-C", path], catch_exceptions=False).output
    archive.commit_files({WORKFLOW_FILE: b"name: mine\n"}, "user edit")
    refused = runner.invoke(ci_group, ["init", "-C", path])
    assert refused.exit_code == 1 and "--force" in str(refused.exception)
    assert runner.invoke(ci_group, ["init", "-C", path, "--force"], catch_exceptions=False).exit_code == 0
    assert archive.default_branch_file(WORKFLOW_FILE) == workflow_text().encode()
    assert tomllib.loads(archive.records.read(archive.load().seed().commit).decode())["status"] == "evaluated"
