"""Time `gitdgm sync` of a large archive: the first push to an empty bare remote, then one new agent.

    python benchmarks/perf/sync_archive.py [--agents 10000] [--dir DIR]

Target: the incremental sync (fetch, merge, push one agent and its note) under 2 s at 10,000 agents.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the tests' support package
from support import synthetic  # noqa: E402
from gitdgm.archive import Archive
from gitdgm.archive.record import Record
from gitdgm.archive.sync import sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--dir", type=Path, help="Work here (default: a temporary directory, removed).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        archive_path, remote = root / "archive.git", root / "remote.git"
        started = time.perf_counter()
        synthetic.build(archive_path, args.agents)
        print(f"built a {args.agents}-agent archive in {time.perf_counter() - started:.1f} s")
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        archive = Archive(archive_path)
        archive.repo.remotes.create("origin", str(remote))

        stats, first = timed(lambda: sync(archive))
        print(f"first sync (empty remote): {first:.2f} s, {stats.pushed_refs} refs pushed")
        stats, again = timed(lambda: sync(archive))
        print(f"sync with nothing to do:   {again:.2f} s")

        seed = archive.load().seed()
        commit = archive.create_agent_commit(seed.tree, seed.commit, "One more agent")
        archive.set_branch(commit)
        archive.write_record(commit, Record.new(status="evaluated", parent=seed.id, generation=1, score=0.5))
        stats, incremental = timed(lambda: sync(archive))
        print(f"incremental sync (1 agent): {incremental:.2f} s, {stats.pushed_refs} refs pushed "
              f"(target < 2 s: {'met' if incremental < 2 else 'MISSED'})")


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


if __name__ == "__main__":
    main()
