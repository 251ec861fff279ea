"""``gitdgm transplant IMPROVEMENT --onto AGENT``: an improvement from one lineage as a pending agent in another."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pygit2
from archive_helpers import new_archive
from click.testing import CliRunner
from step_helpers import git

from gitdgm.archive import Archive, agent_id
from gitdgm.cli.main import cli
from gitdgm.archive.record import Record


def child(archive: Archive, parent: str, path: str, text: str, subject: str) -> str:
    """An admitted agent: ``parent`` with one file replaced."""
    repo = archive.repo
    index = pygit2.Index()
    index.read_tree(repo[parent].peel(pygit2.Tree))
    index.add(pygit2.IndexEntry(path, repo.create_blob(text.encode()), pygit2.enums.FileMode.BLOB))
    commit = archive.create_agent_commit(str(index.write_tree(repo)), parent, subject)
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="evaluated", parent=agent_id(parent), generation=1, score=0.5))
    return commit


def state(path: Path) -> str:
    return git(path, "for-each-ref") + git(path, "count-objects")


def test_clean_transplant_makes_a_pending_agent_on_the_target(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    improvement = child(archive, seed, "tiny.py", 'print("tiny agent, improved")\n', "Improve the greeting")
    onto = child(archive, seed, "helper.py", "HELP = 1\n", "Add a helper")

    result = CliRunner().invoke(cli, ["transplant", "-C", str(archive.path), agent_id(improvement),
                                      "--onto", agent_id(onto)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    made = Archive(archive.path).load()
    (new,) = [a for a in made.agents.values() if a.commit not in (seed, improvement, onto)]
    assert new.id in result.output and new.status == "pending"
    assert git(archive.path, "rev-parse", f"dgm/{new.id}").strip() == new.commit
    assert git(archive.path, "rev-list", "--parents", "-1", new.commit).split()[1:] == [onto]
    # the tree has both changes
    assert archive.file_text(new.commit, "tiny.py") == 'print("tiny agent, improved")\n'
    assert archive.file_text(new.commit, "helper.py") == "HELP = 1\n"
    message = git(archive.path, "log", "-1", "--format=%B", new.commit)
    assert f"Transplant {agent_id(improvement)} onto {agent_id(onto)}: Improve the greeting" in message
    assert f"Gitdgm-Parent: {agent_id(onto)}" in message
    assert f"Gitdgm-Transplant-Of: {agent_id(improvement)}" in message
    note = tomllib.loads(git(archive.path, "notes", "--ref=dgm", "show", new.commit))
    assert note["status"] == "pending" and note["origin"] == "transplant"
    assert note["transplant_of"] == agent_id(improvement) and note["onto"] == agent_id(onto)
    assert note["parent"] == agent_id(onto) and note["generation"] == 2
    assert new in made.pending()  # the next step evaluates it


def test_conflicting_transplant_lists_paths_and_writes_nothing(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    improvement = child(archive, seed, "tiny.py", 'print("one way")\n', "One way")
    onto = child(archive, seed, "tiny.py", 'print("another way")\n', "Another way")
    before = state(archive.path)

    result = CliRunner().invoke(cli, ["transplant", "-C", str(archive.path), agent_id(improvement),
                                      "--onto", agent_id(onto)])
    assert result.exit_code == 1
    assert "conflicts in: tiny.py" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert state(archive.path) == before


def test_transplanting_the_seed_or_a_change_already_there_is_refused(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    improvement = child(archive, seed, "tiny.py", 'print("better")\n', "Better")
    later = child(archive, improvement, "helper.py", "X = 1\n", "Later")
    before = state(archive.path)
    runner = CliRunner()
    seed_result = runner.invoke(cli, ["transplant", "-C", str(archive.path), agent_id(seed), "--onto",
                                      agent_id(improvement)])
    assert seed_result.exit_code == 1 and "is the seed" in seed_result.output
    again = runner.invoke(cli, ["transplant", "-C", str(archive.path), agent_id(improvement), "--onto",
                                agent_id(later)])
    assert again.exit_code == 1 and "already contains the change" in again.output
    assert state(archive.path) == before
