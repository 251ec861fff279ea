"""gitdgm's own machinery per child, without any thinking: target < 100 ms (process), < 1 s (docker), flat in size.

An instant scripted model, a trivial agent (its entry appends one line to a file without calling the model; no
test_command) and a one-task suite, on synthetic archives of 100, 1,000 and 10,000 agents. The trivial agent is
added to each archive as an admitted agent with a score above every synthetic one, so `best` always breeds from
it (each child's line is unique, so no child is a duplicate). Each child goes through the real ``run_step``; the
phases are timed by wrapping the functions the step calls (select+load is the rest of the step).

Usage: python benchmarks/perf/step_machinery.py [--sizes 100,1000,10000] [--children 5] [--sandbox process,docker]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
import sys
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.engine import generation
from gitdgm.engine.step import run_step
from gitdgm.archive import Archive
from gitdgm.config import (
    Config,
    EvalConfig,
    ModelConfig,
    SandboxConfig,
    SelectionConfig,
)
from gitdgm.demo import LESSONS
from gitdgm.errors import SandboxError
from gitdgm.archive.record import Record
from gitdgm.engine.services import open_runtime
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the tests' support package
from support.synthetic import build  # noqa: E402

TARGETS = {"process": 0.1, "docker": 1.0}
PHASES = ("select+load", "diagnose", "self-mod", "commit+notes", "check", "eval")
ENTRY = ["python3", "-c", "import time; open('edit.txt', 'a').write(f'{time.time_ns()}\\n')"]
timings: dict[str, float] = defaultdict(float)


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - start
    return wrapper


def instrument() -> None:
    for attr, name in (("diagnose", "diagnose"), ("self_modify", "self-mod"), ("functional_check", "check"),
                       ("evaluate", "eval")):
        setattr(generation, attr, timed(name, getattr(generation, attr)))
    for method in ("add_agent", "admit"):  # a child's commit, branch, first note and index entry; its admission
        setattr(Archive, method, timed("commit+notes", getattr(Archive, method)))


def write_fixtures(root: Path) -> tuple[Path, Path, Path]:
    agent = root / "trivial-agent"
    agent.mkdir()
    (agent / "agent.toml").write_text(tomli_w.dumps({"schema": 1, "name": "trivial", "entry": ENTRY}))
    (agent / "edit.txt").write_text("start\n")
    task = root / "suite" / "one"
    (task / "repo").mkdir(parents=True)
    (task / "tests").mkdir()
    (task / "repo" / "edit.txt").write_text("start\n")
    (task / "tests" / "check.py").write_text("print('graded')\n")
    (task / "task.toml").write_text(tomli_w.dumps({
        "schema": 1, "id": "one", "language": "python", "difficulty": "easy", "problem": "Append a line.",
        "test_command": "python3 check.py", "time_limit": 30, "test_time_limit": 30}))
    script = root / "model.toml"
    script.write_text(tomli_w.dumps({"schema": 1, "scenario": [
        {"name": "diagnosis", "match": {"user": "Diagnose"}, "turns": [{"content": json.dumps(LESSONS[0].diagnosis)}]}]}))
    return agent, root / "suite", script


def add_trivial_parent(archive: Archive, agent_dir: Path) -> None:
    seed = archive.load().seed()
    commit = archive.create_agent_commit(archive.tree_from_directory(agent_dir), seed.commit, "Trivial agent")
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="evaluated", parent=seed.id, generation=1, score=2.0,
                                            resolved=1, attempted=1))


def measure(archive: Archive, config: Config, sandbox: str, children: int) -> list[dict[str, float]]:
    rows = []
    with open_runtime(archive, config, sandbox=sandbox) as rt:
        for k in range(children + 1):  # the first child warms caches (summary cache, imports)
            timings.clear()
            start = time.perf_counter()
            report = run_step(rt, parents=1, seed=k)
            total = time.perf_counter() - start
            (child,) = report.children
            assert child.status == "evaluated", child
            row = {name: timings.get(name, 0.0) for name in PHASES[1:]}
            row["select+load"] = total - sum(row.values())
            row["total"] = total
            if k:
                rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--children", type=int, default=5)
    parser.add_argument("--sandbox", default="process,docker")
    args = parser.parse_args()
    instrument()
    with tempfile.TemporaryDirectory(prefix="gitdgm-bench-") as tmp:
        root = Path(tmp)
        agent, suite, script = write_fixtures(root)
        archives = {}
        for size in (int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            build(root / f"a{size}", size)
            archives[size] = Archive(root / f"a{size}")
            add_trivial_parent(archives[size], agent)
            print(f"built {size} agents in {time.perf_counter() - started:.1f} s")
        for sandbox in args.sandbox.split(","):
            config = Config(model=ModelConfig(name="instant", base_url=f"scripted:{script}"),
                            selection=SelectionConfig(policy="best", parents=1),
                            eval=EvalConfig(suite=str(suite), stages=[1], thresholds=[], workers=1),
                            sandbox=SandboxConfig(backend=sandbox))  # type: ignore[arg-type]
            medians = {}
            print(f"\n{sandbox}: median seconds per child ({args.children} children per size)")
            print(f"{'agents':>7} " + " ".join(f"{p:>12}" for p in PHASES) + f" {'total':>9}")
            for size, archive in archives.items():
                try:
                    rows = measure(archive, config, sandbox, args.children)
                except SandboxError as exc:
                    print(f"{sandbox} skipped: {exc}")
                    break
                med = {key: statistics.median(r[key] for r in rows) for key in (*PHASES, "total")}
                medians[size] = med["total"]
                print(f"{size:>7} " + " ".join(f"{med[p]:>12.4f}" for p in PHASES) + f" {med['total']:>9.4f}")
            if medians:
                worst, flat = max(medians.values()), max(medians.values()) / min(medians.values())
                verdict = "meets" if worst < TARGETS[sandbox] else "MISSES"
                print(f"{sandbox}: worst {worst * 1000:.0f} ms per child, {verdict} the {TARGETS[sandbox] * 1000:.0f} ms "
                      f"target; largest/smallest {flat:.2f}x ({'flat' if flat <= 1.2 else 'NOT flat'} within 1.2x)")


if __name__ == "__main__":
    main()
