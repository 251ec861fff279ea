"""gitdgm's own machinery per candidate, without any thinking: below ShinkaEvolve's per-iteration cost (process),
< 1 s (docker), and flat in the archive's size.

What: the wall-clock a candidate costs when the model answers at once and the agent does nothing, on synthetic
archives of 100, 1,000 and 10,000 agents.

How: an instant scripted model, a trivial agent (its entry appends one line to a file without calling the model;
no test_command) and a one-task suite. The trivial agent is added to each archive as an admitted agent scoring
above every synthetic one, so ``best`` always breeds from it (each child's line is unique: no duplicates). Modes:

- ``engine``: ONE ``run_step(rt, generations=C, parents=1, workers=W)`` makes C children; the engine keeps the
  archive's index across its jobs. Per candidate = the run's wall-clock / children made, for each W.
- ``step``: one ``run_step`` per child (each takes the lock, loads the archive, probes the model): the median.

The phases are timed by wrapping what a run calls: ``diagnose`` (the diagnosis, with reading the parent's code and
logs), ``self-mod`` (the parent's run on its own tree), ``commit+notes`` (the child's commit, branch and note, the
start and end of its evaluation in its note, its admission), ``check`` (the functional check), ``eval`` (its task,
run and recorded); ``setup`` is ``run_step`` outside the engine (lock, load, probe, the search state), ``engine``
the rest of the engine's run (the parent draw, the duplicate check, scheduling, journal, materialising the
agent). Phases are worker-seconds; with one parent per generation a run has one job at a time, so W = 2 has
nothing to overlap. Each runtime makes one child first, untimed (imports, caches).

Usage: python benchmarks/perf/step_machinery.py [--sandbox process,docker] [--mode engine|step|step,engine]
           [--sizes 100,1000,10000] [--children 8] [--workers 1,2] [--peer-ms 112]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.archive import Archive
from gitdgm.archive.record import Record
from gitdgm.config import Config, EvalConfig, ModelConfig, SandboxConfig, SelectionConfig
from gitdgm.demo import LESSONS
from gitdgm.engine import generation, search
from gitdgm.engine.report import StepReport
from gitdgm.engine.search import Search
from gitdgm.engine.services import Runtime, open_runtime
from gitdgm.engine.step import run_step
from gitdgm.errors import SandboxError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the tests' support package
from support.synthetic import build

DOCKER_TARGET = 1.0
FLAT = 1.2
PHASES = ("setup", "diagnose", "self-mod", "commit+notes", "check", "eval", "engine")
WRAPPED: dict[str, list[tuple[Any, str]]] = {
    "diagnose": [(generation, "diagnose"), (Archive, "tree_files"), (Archive, "task_logs")],
    "self-mod": [(generation, "self_modify")],
    "commit+notes": [(Archive, "add_agent"), (Archive, "admit"), (search, "start_evaluation"),
                     (search, "finish_evaluation")],
    "check": [(generation, "functional_check")],
    "eval": [(search, "run_and_record")],
    "search": [(Search, "run")],  # the engine's whole run: setup is the rest of run_step
}
ENTRY = ["python3", "-c", "import time; open('edit.txt', 'a').write(f'{time.time_ns()}\\n')"]
timings: dict[str, float] = defaultdict(float)
timings_lock = threading.Lock()


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, adding its wall-clock to ``timings[name]`` (from any worker thread)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with timings_lock:
                timings[name] += time.perf_counter() - start
    return wrapper


def instrument() -> None:
    """Wrap every function ``WRAPPED`` names where the engine looks it up."""
    for name, targets in WRAPPED.items():
        for owner, attr in targets:
            setattr(owner, attr, timed(name, getattr(owner, attr)))


def split(total: float, per: int) -> dict[str, float]:
    """Seconds per candidate by phase, from the timings of a stretch of ``total`` seconds that made ``per``."""
    row = {name: timings.get(name, 0.0) / per for name in PHASES[1:-1]}
    row["setup"] = (total - timings.get("search", 0.0)) / per
    row["engine"] = timings.get("search", 0.0) / per - sum(row[p] for p in PHASES[1:-1])
    row["total"] = total / per
    return row


def write_fixtures(root: Path) -> tuple[Path, Path, Path]:
    """The trivial agent, the one-task suite and the instant model's script."""
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
    answer = json.dumps(LESSONS[0].diagnosis)
    diagnosis = {"name": "diagnosis", "match": {"user": "Diagnose"}, "turns": [{"content": answer}]}
    script.write_text(tomli_w.dumps({"schema": 1, "scenario": [diagnosis]}))
    return agent, root / "suite", script


def add_trivial_parent(archive: Archive, agent_dir: Path) -> None:
    """The trivial agent as an admitted child of the seed, scoring above every synthetic agent."""
    seed = archive.load().seed()
    commit = archive.create_agent_commit(archive.tree_from_directory(agent_dir), seed.commit, "Trivial agent")
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="evaluated", parent=seed.id, generation=1, score=2.0,
                                            resolved=1, attempted=1))


def evaluated(children: int, report: StepReport) -> None:
    """Fail unless the run made ``children`` children and admitted them all."""
    made = [c for c in report.children if c.status == "evaluated"]
    assert len(made) == len(report.children) == children, report.children


def per_step(rt: Runtime, children: int, seed: int) -> dict[str, float]:
    """One step per child: the median of each phase over ``children`` steps."""
    rows = []
    for k in range(children):
        timings.clear()
        start = time.perf_counter()
        evaluated(1, run_step(rt, parents=1, seed=seed + k))
        rows.append(split(time.perf_counter() - start, 1))
    return {key: statistics.median(r[key] for r in rows) for key in (*PHASES, "total")}


def per_engine_run(rt: Runtime, children: int, workers: int, seed: int) -> dict[str, float]:
    """One engine run making ``children`` children: its wall-clock and phases over the children it made."""
    timings.clear()
    start = time.perf_counter()
    evaluated(children, run_step(rt, parents=1, generations=children, workers=workers, seed=seed))
    return split(time.perf_counter() - start, children)


def verdict(label: str, rows: dict[int, dict[str, float]], target: float) -> str:
    """The targets for one mode: the worst total against ``target``; largest/smallest, with and without setup."""
    totals = [r["total"] for r in rows.values()]
    steady = [r["total"] - r["setup"] for r in rows.values()]
    worst, flat = max(totals), max(totals) / min(totals)
    return (f"  {label:<10} worst {worst * 1000:4.0f} ms per candidate: {'meets' if worst < target else 'MISSES'} "
            f"< {target * 1000:.0f} ms; largest/smallest {flat:.2f}x: {'flat' if flat <= FLAT else 'NOT flat'} "
            f"within {FLAT}x (without setup {max(steady) / min(steady):.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", default="process,docker")
    parser.add_argument("--mode", default="engine", help="engine, step, or both: step,engine")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--children", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="engine mode's worker counts")
    parser.add_argument("--peer-ms", type=float, default=112.0,
                        help="ShinkaEvolve's per-iteration cost on this machine (peers/shinka_iteration.py)")
    args = parser.parse_args()
    modes = args.mode.split(",")
    configs = [(m, w) for m in modes for w in ([int(w) for w in args.workers.split(",")] if m == "engine" else [1])]
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
            target = args.peer_ms / 1000 if sandbox == "process" else DOCKER_TARGET
            model = ModelConfig(name="instant", base_url=f"scripted:{script}", prices={"instant": [0.0, 0.0]})
            config = Config(model=model,
                            selection=SelectionConfig(policy="best", parents=1),
                            eval=EvalConfig(suite=str(suite), stages=[1], thresholds=[], workers=1),
                            sandbox=SandboxConfig(backend=sandbox))
            print(f"\n{sandbox}: ms per candidate ({args.children} children; engine: one run, total / children;"
                  f" step: one step each, median)")
            print(f"{'agents':>7} {'mode':<10}" + "".join(f"{p:>13}" for p in PHASES) + f"{'total':>8}")
            results: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
            try:
                for size, archive in archives.items():
                    with open_runtime(archive, config, sandbox=sandbox) as rt:
                        evaluated(1, run_step(rt, parents=1, seed=0))  # warms imports and caches
                        for k, (mode, workers) in enumerate(configs, start=1):
                            seed = k * 1000
                            row = (per_engine_run(rt, args.children, workers, seed) if mode == "engine"
                                   else per_step(rt, args.children, seed))
                            label = f"{mode} W={workers}" if mode == "engine" else mode
                            results[label][size] = row
                            print(f"{size:>7} {label:<10}" + "".join(f"{row[p] * 1000:>13.1f}" for p in PHASES)
                                  + f"{row['total'] * 1000:>8.1f}")
            except SandboxError as exc:
                print(f"{sandbox} skipped: {exc}")
            print(f"{sandbox} targets (< {target * 1000:.0f} ms per candidate, flat within {FLAT}x):")
            for label, rows in results.items():
                print(verdict(label, rows, target))


if __name__ == "__main__":
    main()
