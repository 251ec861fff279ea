"""What clean-room grading costs per task, beside the test run itself: keeping the starting tree, taking the
agent's change as data (a walk that follows no link, blobs only for files that changed), the rule, and writing
the clean tree into a fresh folder. Measured on a builtin task and on synthetic repositories of 1,000 and 5,000
files (SWE-bench-sized), each with a three-file change.

    python benchmarks/perf/cleanroom_cost.py [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gitdgm.sandbox.readback import Limits
from gitdgm.suites import Task, load_suite
from gitdgm.suites.files import MemoryFiles
from gitdgm.suites.grade import clean_tree
from gitdgm.archive.scratch import Workspace, new_store


def synthetic(files: int) -> Task:
    builtin = load_suite("builtin").tasks[0]
    repo = {f"pkg{i // 100}/mod{i}.py": f"def f{i}(x):\n    return x + {i}\n" * 20 for i in range(files)}
    return Task(id=f"synthetic-{files}", language="python", difficulty="easy", problem="", test_command="true",
                time_limit=60, test_time_limit=60, source="benchmark", repo=MemoryFiles(repo), tests=builtin.tests)


def one(task: Task) -> dict[str, float]:
    times: dict[str, float] = {}

    def timed(name: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        value = action()
        times[name] = time.perf_counter() - start
        return value

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        task.write_repo(repo)
        workspace = timed("keep start", lambda: Workspace(repo, new_store(Path(tmp) / "store"), Limits()))
        files = sorted(p for p in repo.rglob("*.py") if ".git" not in p.parts)[:3]
        for path in files:
            path.write_text(path.read_text() + "\n# changed\n")
        changes = timed("take change", workspace.changes)
        tree, _ = timed("rule + tree", lambda: clean_tree(task, changes))
        timed("write clean room", lambda: changes.materialise(tree, Path(tmp) / "clean"))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    tasks = [load_suite("builtin").tasks[0], synthetic(1000), synthetic(5000)]
    for task in tasks:
        samples = [one(task) for _ in range(runs)]
        medians = {name: statistics.median(s[name] for s in samples) for name in samples[0]}
        parts = "  ".join(f"{name} {value * 1000:7.1f} ms" for name, value in medians.items())
        total = sum(medians.values())
        print(f"{task.id:28} {parts}  total {total * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
