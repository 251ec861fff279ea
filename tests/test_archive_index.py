"""The archive keeps its own index: every verb returns the agent as it now stands, the index always agrees with a
fresh load from git, and workers in several threads can write through one ``Archive`` at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from archive_helpers import evaluated, new_archive

from gitdgm.archive import Agent, Archive, Record
from gitdgm.archive.repository import MergeConflict


def as_listed(archive: Archive) -> dict[str, tuple]:
    """What a reader sees of every agent: compared between the kept index and a fresh load."""
    return {a.id: (a.commit, a.tree, a.parent, sorted(a.children), a.status, a.score, a.ref, a.generation)
            for a in archive.index.agents.values()}


def child_of(archive: Archive, parent: Agent, name: str, work: Path) -> Agent:
    directory = archive.materialise(parent.commit, work / name)
    (directory / f"{name}.py").write_text(f"NAME = {name!r}\n")
    return archive.add_agent(archive.tree_from_directory(directory), parent, f"Add {name}", "", {},
                             Record.new(status="pending", parent=parent.id, generation=1),
                             author=(f"agent {parent.id}", f"{parent.id}@agents.gitdgm.invalid"))


def test_each_verb_returns_the_agent_as_it_now_stands_and_the_index_matches_git(tmp_path: Path) -> None:
    archive, seed_commit = new_archive(tmp_path)
    seed = archive.record_results(archive.agent(seed_commit), lambda _r: evaluated(None, 0, 0.4), "seed scored")
    assert seed.admitted and seed.score == pytest.approx(0.4) and seed.record is not None

    child = child_of(archive, seed, "alpha", tmp_path)
    assert child.status == "pending" and child.parent == seed.id and child.id in seed.children
    assert archive.index.agents[child.id] is child and archive.message(child.commit).startswith("Add alpha")

    scored = archive.record_results(child, lambda r: Record(r.data | {"status": "evaluated", "score": 0.6}), "m")
    assert scored is child and child.score == pytest.approx(0.6) and child.record.data["score"] == 0.6
    assert archive.admit(child).ref == f"refs/heads/dgm/{child.id}"

    other = child_of(archive, seed, "beta", tmp_path)
    rejected = archive.reject(other, "its own tests fail", tries=2)
    assert rejected.status == "rejected" and rejected.ref == f"refs/dgm/rejected/{other.id}"
    assert rejected.record.data["reason"] == "its own tests fail" and rejected.record.data["tries"] == 2

    kept = as_listed(archive)
    assert Archive(archive.path).load() is not None and as_listed(Archive(archive.path)) == kept


def test_a_transplant_is_a_pending_child_of_its_target_and_a_conflict_writes_nothing(tmp_path: Path) -> None:
    archive, seed_commit = new_archive(tmp_path)
    seed = archive.record_results(archive.agent(seed_commit), lambda _r: evaluated(None, 0, 0.4), "seed scored")
    alpha, beta = child_of(archive, seed, "alpha", tmp_path), child_of(archive, seed, "beta", tmp_path)

    graft = archive.transplant(alpha, beta, {"policy": "test"})
    assert graft.parent == beta.id and graft.status == "pending" and graft.id in archive.index.agents
    assert graft.record.data["transplant_of"] == alpha.id and graft.record.data["selection"] == {"policy": "test"}
    assert archive.file_text(graft.commit, "alpha.py") and archive.file_text(graft.commit, "beta.py")

    before = as_listed(archive)
    with pytest.raises(MergeConflict, match="already contains the change"):
        archive.transplant(alpha, graft)
    with pytest.raises(MergeConflict, match="is the seed"):
        archive.transplant(seed, beta)
    assert as_listed(archive) == before == as_listed(Archive(archive.path))


def test_workers_in_threads_write_through_one_archive_without_losing_a_result(tmp_path: Path) -> None:
    archive, seed_commit = new_archive(tmp_path)
    seed = archive.record_results(archive.agent(seed_commit), lambda _r: evaluated(None, 0, 0.4), "seed scored")
    workers, rounds, made = 6, 8, []
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for k in range(rounds):
                def add(record: Record | None, key: str = f"w{worker}-{k}") -> Record:
                    assert record is not None
                    record.tasks[key] = {"outcome": "resolved"}
                    return record
                archive.record_results(seed, add, f"worker {worker} task {k}")
                if k % 4 == 0:
                    made.append(child_of(archive, seed, f"w{worker}k{k}", tmp_path).id)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seed.record.tasks) == workers * rounds and sorted(seed.children) == sorted(made)
    fresh = Archive(archive.path)
    assert len(fresh.index.agents[seed.id].record.tasks) == workers * rounds
    assert as_listed(fresh) == as_listed(archive)
