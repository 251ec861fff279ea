"""The load cache: content-addressed, so it is never stale; appended to, folded when long; damage only costs time."""

from __future__ import annotations

import json
from pathlib import Path

from archive_helpers import add_child, evaluated, new_archive

from gitdgm.archive import Archive
from gitdgm.archive.cache import CACHE_VERSION, LoadCache


def listing(archive: Archive) -> dict[str, tuple[object, ...]]:
    snapshot = Archive(archive.path).load()
    return {a.id: (a.parent, a.tree, a.summary, a.status, a.score, sorted(a.children))
            for a in snapshot.agents.values()}


def test_a_warm_load_equals_a_cold_one_and_reads_no_note(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    child = add_child(archive, seed, "Child", {"a.py": "A = 1\n"}, score=0.7, work=tmp_path)
    cache_dir = Path(archive.repo.path) / "gitdgm"
    cold = listing(archive)
    cache = LoadCache(cache_dir)
    assert set(cache.tables["commits"]) == {seed, child}
    assert len(cache.tables["summaries"]) == 2
    assert listing(archive) == cold
    doctored = {blob: {**summary, "score": 0.125} for blob, summary in cache.tables["summaries"].items()}
    (cache_dir / "load-cache.json").write_text(json.dumps({"version": CACHE_VERSION, "summaries": doctored,
                                                          "commits": cache.tables["commits"]}))
    (cache_dir / "load-cache.log").write_text("")
    assert {row[4] for row in listing(archive).values()} == {0.125}  # a warm load parses no note


def test_a_rewritten_note_is_never_served_stale(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    child = add_child(archive, seed, "Child", {"a.py": "A = 1\n"}, score=0.2, work=tmp_path)
    assert listing(archive)[child[:12]][4] == 0.2
    archive.write_record(child, evaluated(seed, 1, 0.9))  # a new blob id: a new cache key
    assert listing(archive)[child[:12]][4] == 0.9


def test_a_line_cut_short_by_a_kill_is_skipped(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    listing(archive)
    add_child(archive, seed, "Child", {"a.py": "A = 1\n"}, work=tmp_path)
    cold = listing(archive)  # the child's entries were appended to the log
    log = Path(archive.repo.path) / "gitdgm" / "load-cache.log"
    lines = log.read_bytes().splitlines()
    assert lines and all(json.loads(line)[0] == CACHE_VERSION for line in lines)
    log.write_bytes(b"\n".join(lines) + f'\n[{CACHE_VERSION}, "summaries", "abc", {{"sta'.encode())
    assert listing(archive) == cold


def test_the_log_is_folded_into_the_base_dropping_dead_entries(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    cache = LoadCache(directory)
    for i in range(150):
        cache.summary(f"blob{i}", lambda i=i: {"score": i})
    cache.save({"summaries": {f"blob{i}" for i in range(150)}})
    assert (directory / "load-cache.log").read_text().count("\n") == 150  # appended, not rewritten
    again = LoadCache(directory)
    assert again.summary("blob7", lambda: {"score": -1}) == {"score": 7} and not again.new
    for i in range(150, 300):
        again.summary(f"blob{i}", lambda i=i: {"score": i})
    again.save({"summaries": {f"blob{i}" for i in range(100, 300)}})  # 300 lines > 200 + 10%: fold
    assert (directory / "load-cache.log").read_text() == ""
    folded = LoadCache(directory)
    assert set(folded.tables["summaries"]) == {f"blob{i}" for i in range(100, 300)}


def test_a_corrupt_cache_only_costs_a_reread(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    add_child(archive, seed, "Child", {"a.py": "A = 1\n"}, work=tmp_path)
    cold = listing(archive)
    cache_dir = Path(archive.repo.path) / "gitdgm"
    (cache_dir / "load-cache.json").write_text("{not json")
    (cache_dir / "load-cache.log").write_text(f'[{CACHE_VERSION}, "commits", "x"]\n"nonsense"\n')
    assert listing(archive) == cold
