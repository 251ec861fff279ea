"""Evaluation throughput: tasks per minute for 1, 2 and 4 workers, and the harness's own overhead per task.

The agent is trivial (it writes a one-line fix and makes no model call), so what is measured is the harness: a
fresh repository per task, the sandboxed run, taking the patch, grading the hidden test in the sandbox, and
recording the result in the note and the logs. Overhead per task is read from the note: ``duration`` (the
harness's wall time for the task) minus ``agent_seconds`` (the agent's own run).

Usage: python benchmarks/perf/eval_throughput.py [--tasks 16] [--workers 1 2 4] [--sandbox process docker]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import tomli_w

from gitdgm.engine.evaluate import evaluate
from gitdgm.archive.create import init_archive
from gitdgm.engine.services import archive_config, open_runtime
from gitdgm.sandbox.container import probe

FIX = "open('mod.py', 'w').write('def f():\\n    return 1\\n')"
AGENT_TOML = {"schema": 1, "name": "trivial", "entry": ["python3", "-c", FIX]}


def write_suite(dest: Path, count: int) -> None:
    for n in range(count):
        task = dest / f"task-{n:03d}"
        (task / "repo").mkdir(parents=True)
        (task / "tests").mkdir()
        (task / "repo" / "mod.py").write_text("def f():\n    return 0\n")
        (task / "tests" / "check_hidden.py").write_text("import mod\nassert mod.f() == 1\n")
        (task / "task.toml").write_text(tomli_w.dumps({
            "schema": 1, "id": f"task-{n:03d}", "language": "python", "difficulty": "easy",
            "problem": "Make f return 1.", "test_command": "python3 check_hidden.py",
            "time_limit": 60, "test_time_limit": 30}))


def measure(root: Path, tasks: int, workers: int, sandbox: str) -> tuple[float, float, float]:
    """(tasks per minute, median overhead per task in s, median agent seconds per task) of one evaluation."""
    agent_dir = root / "agent"
    agent_dir.mkdir()
    (agent_dir / "agent.toml").write_text(tomli_w.dumps(AGENT_TOML))
    archive, seed = init_archive(root / "archive", agent_dir)
    write_suite(root / "archive" / "suite", tasks)
    config = {"schema": 1, "model": {"name": "none", "base_url": "scripted:model.toml"},
              "eval": {"suite": "suite", "stages": [tasks], "thresholds": [], "workers": workers},
              "sandbox": {"backend": sandbox}}
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(),
             "model.toml": tomli_w.dumps({"schema": 1, "default": {"content": "unused"}}).encode()}
    files.update({p.relative_to(root / "archive").as_posix(): p.read_bytes()
                  for p in sorted((root / "archive" / "suite").rglob("*")) if p.is_file()})
    archive.commit_files(files, "benchmark suite")
    with open_runtime(archive, archive_config(archive)) as rt:
        start = time.perf_counter()
        record = evaluate(rt, archive.resolve(seed))
        wall = time.perf_counter() - start
    results = list(record.tasks.values())
    assert len(results) == tasks and all(r["outcome"] == "resolved" for r in results), record.tasks
    overhead = statistics.median(r["duration"] - r["agent_seconds"] for r in results)
    return tasks / wall * 60, overhead, statistics.median(r["agent_seconds"] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--sandbox", nargs="+", default=["process", "docker"], choices=["process", "docker"])
    args = parser.parse_args()
    for sandbox in args.sandbox:
        if sandbox == "docker" and not (status := probe()).usable:
            print(f"docker   skipped: {status.reason}")
            continue
        for workers in args.workers:
            with tempfile.TemporaryDirectory(prefix="gitdgm-bench-") as tmp:
                rate, overhead, agent = measure(Path(tmp), args.tasks, workers, sandbox)
            print(f"{sandbox:8} workers {workers}: {rate:7.1f} tasks/min  harness overhead/task "
                  f"{overhead * 1000:6.0f} ms (median; agent itself {agent * 1000:5.0f} ms)  n={args.tasks}")


if __name__ == "__main__":
    main()
