"""Four runners, each its own process and clone, add agents and notes and sync to one bare remote at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_sync import make_archive

from gitdgm.archive import Archive
from gitdgm.archive.sync import sync

RUNNERS = 4
ROUNDS = 3

# One runner: each round it makes two children the way a step does (a commit on an existing agent, its branch,
# its note), adds its own task result to the seed's note, then waits for every runner and syncs with them.
RUNNER = r"""
import json, sys, time
from pathlib import Path
from gitdgm.archive import Archive
from gitdgm.archive.record import Record
from gitdgm.archive.sync import sync

clone, barrier, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
rounds, runners = int(sys.argv[4]), int(sys.argv[5])
archive = Archive(clone)
sync(archive, push=False)  # a clone has no notes yet: fetch them, as the workflow does
made, stats = [], []
for round_ in range(rounds):
    snapshot = archive.load()
    seed = snapshot.seed()
    parents = [seed, min(snapshot.agents.values(), key=lambda a: a.id)]
    for i, parent in enumerate(parents):
        commit = archive.create_agent_commit(parent.tree, parent.commit, f"{name} round {round_} child {i}")
        archive.set_branch(commit)
        archive.write_record(commit, Record.new(status="evaluated", parent=parent.id, generation=1, score=0.5))
        made.append(commit)
    record = archive.read_record(seed.commit)
    record.tasks[f"{name}-{round_}"] = {"outcome": "resolved"}
    archive.write_record(seed.commit, record)
    (barrier / f"{round_}-{name}").touch()
    deadline = time.monotonic() + 30
    while len(list(barrier.glob(f"{round_}-*"))) < runners and time.monotonic() < deadline:
        time.sleep(0.005)
    stats.append(sync(archive, backoff=0.05).as_dict())
print(json.dumps({"made": made, "stats": stats}))
"""


def test_runners_pushing_at_once_lose_nothing(tmp_path: Path) -> None:
    origin, seed = make_archive(tmp_path / "origin.git")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    origin.repo.remotes.create("origin", str(remote))
    sync(origin)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    procs = []
    for i in range(RUNNERS):
        clone = tmp_path / f"runner{i}"
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True, capture_output=True)
        procs.append(subprocess.Popen([sys.executable, str(script), str(clone), str(barrier), f"r{i}", str(ROUNDS),
                                       str(RUNNERS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))

    made = [commit for result in results for commit in result["made"]]
    assert len(made) == len(set(made)) == RUNNERS * ROUNDS * 2
    final = Archive(remote)
    branches = [r for r in final.repo.references if r.startswith("refs/heads/dgm/")]
    assert sorted(branches) == sorted({f"refs/heads/dgm/{c[:12]}" for c in made} | {f"refs/heads/dgm/{seed[:12]}"})
    notes = dict(final.records.entries())
    assert set(notes) == set(made) | {seed}
    seed_tasks = final.read_record(seed).tasks
    assert set(seed_tasks) == {f"r{i}-{r}" for i in range(RUNNERS) for r in range(ROUNDS)}
    assert final.read_record(seed).data["attempted"] == RUNNERS * ROUNDS
    subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=remote, check=True, capture_output=True)

    stats = [s for result in results for s in result["stats"]]
    assert sum(s["push_rejections"] for s in stats) > 0, "no push was ever rejected: the runners did not race"
    assert sum(s["records_merged"] for s in stats) > 0
    assert not any(s["conflicts"] or s["warnings"] for s in stats)
    # a last sync brings every runner to the remote's state, byte for byte
    for i in range(RUNNERS):
        runner = Archive(tmp_path / f"runner{i}")
        sync(runner)
        assert runner.repo.references["refs/notes/dgm"].target == final.repo.references["refs/notes/dgm"].target
