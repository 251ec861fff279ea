"""A step split for a CI fan-out: `step --plan N` breeds and lists the work, shards evaluate, `--collect` settles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from step_helpers import gitdgm, make_archive

from gitdgm.archive import Archive


def _fan_out(path: Path, shards: int) -> list[dict[str, str]]:
    planned = gitdgm(path, "step", "--plan", str(shards), "--seed", "1")
    assert planned.returncode == 0, planned.stderr
    matrix = json.loads(planned.stdout)["include"]
    for entry in matrix:
        done = gitdgm(path, "eval", entry["agent"], "--shard", entry["shard"])
        assert done.returncode == 0, done.stderr
    collected = gitdgm(path, "step", "--collect")
    assert collected.returncode == 0, collected.stderr
    return matrix


@pytest.mark.slow
def test_plan_shards_collect_makes_and_admits_a_generation(tmp_path: Path) -> None:
    path = tmp_path / "archive"
    make_archive(path)
    seed = Archive(path).load().seed()

    first = _fan_out(path, 2)  # no admitted agent yet: the plan is the pending seed, in two shards
    assert first == [{"agent": seed.id, "shard": "1/2"}, {"agent": seed.id, "shard": "2/2"}]
    snapshot = Archive(path).load()
    assert snapshot.agents[seed.id].status == "evaluated" and snapshot.agents[seed.id].score == pytest.approx(0.5)
    assert len(snapshot.agents) == 1  # --collect breeds nothing

    second = _fan_out(path, 2)  # now the seed is bred from; its child is left for the shards
    (child_id,) = {entry["agent"] for entry in second}
    child = Archive(path).load().agents[child_id]
    assert child.parent == seed.id and child.status == "evaluated" and child.score == pytest.approx(1.0)
    assert set(child.record.data["shards"]) == {"1/2", "2/2"}
    assert len(child.record.tasks) == 2  # each task ran in exactly one shard
