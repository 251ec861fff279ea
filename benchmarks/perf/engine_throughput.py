"""Worker utilisation and wall-clock of the engine, generational (``dgm``) against HGM (``hgm``), for the same
number of task evaluations: target >= 90% utilisation at W = 4.

What: busy worker-seconds / (W × the engine's wall-clock), as the engine measures it (``StepReport.utilisation``),
and the wall-clock of the whole ``run_step``, at W = 1, 2 and 4 on the process sandbox.

How: the scripted model takes realistic time through its ``delay`` turns: a suite of six tasks of uneven length
(the model answers task k after 0.2 to 2.0 s), the diagnosis after 1.0 s and the self-modification after 1.5 s.
The agent asks the model once with its problem (over the gateway's socket), then appends a line to ``edit.txt``,
so every child differs; half the tasks' hidden tests pass. Each run starts from a fresh archive whose seed is
pending, so both policies check and evaluate it on the whole suite first (``dgm`` counts those evaluations
against its budget, ``hgm`` does not). ``hgm`` gets ``max_evals = --evals``; ``dgm`` gets ``--parents`` children
a generation and as many generations as spend about the same (each child is evaluated on the whole suite, one
stage). The table shows the exact numbers: ``evaluations`` are all graded task attempts, the seed's included,
and ``counted`` is ``StepReport.evaluations``.

The machine may have fewer cores than W (this one has 2): a job spends most of its time waiting for the model,
which needs no CPU, so W = 4 still measures the engine's scheduling; only the sandbox runs (Python start-up,
grading) compete for the cores.

Usage: python benchmarks/perf/engine_throughput.py [--workers 1,2,4] [--evals 24] [--parents 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from gitdgm.archive import Archive
from gitdgm.archive.create import init_archive
from gitdgm.config import Config, EvalConfig, ModelConfig, SandboxConfig, SelectionConfig
from gitdgm.demo import LESSONS
from gitdgm.engine.services import open_runtime
from gitdgm.engine.step import run_step

TASK_SECONDS = (0.2, 0.5, 0.8, 1.1, 1.5, 2.0)  # the model's delay on task t1 … t6
DIAGNOSIS_SECONDS = 1.0
SELF_MODIFICATION_SECONDS = 1.5
TARGET = 0.9
AGENT = '''"""Ask the model once with the problem, then append a line to edit.txt (the change to grade)."""
import http.client
import json
import os
import socket
import time


class Gateway(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.environ["GITDGM_GATEWAY_SOCKET"])


problem = open(os.environ["GITDGM_PROBLEM_FILE"], encoding="utf-8").read()
body = json.dumps({"model": os.environ["GITDGM_MODEL"], "messages": [{"role": "user", "content": problem}]})
connection = Gateway("gateway", timeout=60)
headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"}
connection.request("POST", "/v1/chat/completions", body, headers)
connection.getresponse().read()
with open("edit.txt", "a", encoding="utf-8") as out:
    out.write(f"{time.time_ns()}\\n")
'''


@dataclass
class Row:
    """One run: ``evaluations`` graded task attempts in all (the seed's included), ``counted`` against its budget."""

    policy: str
    workers: int
    evaluations: int
    counted: int
    children: int
    wall: float
    utilisation: float


def write_fixtures(root: Path) -> None:
    """In ``root``: the agent, the suite (the model answers task k after ``TASK_SECONDS[k-1]``), the script."""
    agent = root / "agent"
    agent.mkdir()
    (agent / "agent.toml").write_text(tomli_w.dumps({"schema": 1, "name": "slow", "entry": ["python3", "-m", "slow"]}))
    (agent / "slow.py").write_text(AGENT)
    (agent / "edit.txt").write_text("start\n")
    scenarios = [
        {"name": "diagnosis", "match": {"user": "^# Diagnose"},
         "turns": [{"content": json.dumps(LESSONS[0].diagnosis), "delay": DIAGNOSIS_SECONDS}]},
    ]
    for k, seconds in enumerate(TASK_SECONDS, start=1):
        task = root / "suite" / f"t{k}"
        (task / "repo").mkdir(parents=True)
        (task / "tests").mkdir()
        (task / "repo" / "edit.txt").write_text("start\n")
        (task / "tests" / "check.py").write_text(f"raise SystemExit({k % 2 == 0:d})\n")  # odd tasks pass
        (task / "task.toml").write_text(tomli_w.dumps({
            "schema": 1, "id": f"t{k}", "language": "python", "difficulty": "easy",
            "problem": f"Throughput task t{k}: append a line to edit.txt.", "test_command": "python3 check.py",
            "time_limit": 60, "test_time_limit": 30}))
        scenarios.append({"name": f"t{k}", "match": {"user": f"^Throughput task t{k}:"},
                          "turns": [{"content": "Done.", "delay": seconds}]})
    default = {"content": "Done.", "delay": SELF_MODIFICATION_SECONDS}  # the self-modification's call
    (root / "model.toml").write_text(tomli_w.dumps({"schema": 1, "scenario": scenarios, "default": default}))


def measure(root: Path, policy: str, workers: int, args: argparse.Namespace) -> Row:
    """One run of ``policy`` on ``workers`` workers, from a fresh archive whose seed is pending."""
    archive, _seed = init_archive(root / f"{policy}-{workers}", root / "agent")
    config = Config(
        model=ModelConfig(name="slow", base_url=f"scripted:{root / 'model.toml'}", prices={"slow": [0.0, 0.0]}),
        selection=SelectionConfig(policy=policy, parents=args.parents),  # type: ignore[arg-type]
        eval=EvalConfig(suite=str(root / "suite"), stages=[len(TASK_SECONDS)], thresholds=[], workers=workers),
        sandbox=SandboxConfig(backend="process"),
    )
    with open_runtime(archive, config, sandbox="process") as rt:
        start = time.perf_counter()
        if policy == "hgm":
            report = run_step(rt, max_evals=args.evals, generations=None, workers=workers, seed=args.seed)
        else:  # each child is evaluated on the whole suite: as many generations as spend about ``evals``
            generations = max(1, round(args.evals / (args.parents * len(TASK_SECONDS))))
            report = run_step(rt, parents=args.parents, generations=generations, workers=workers, seed=args.seed)
        wall = time.perf_counter() - start
    assert not report.stopped and not report.errors, (report.stopped, report.errors)
    graded = sum(int(a.info.get("attempted") or 0) for a in Archive(archive.path).load().agents.values())
    return Row(policy, workers, graded, report.evaluations, len(report.children), wall, report.utilisation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--evals", type=int, default=24, help="hgm's max_evals; dgm's generations match it")
    parser.add_argument("--parents", type=int, default=2, help="dgm's children per generation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gitdgm-throughput-") as tmp:
        root = Path(tmp)
        write_fixtures(root)
        print(f"tasks take {', '.join(f'{s:g}' for s in TASK_SECONDS)} s of model time; diagnosis "
              f"{DIAGNOSIS_SECONDS:g} s, self-modification {SELF_MODIFICATION_SECONDS:g} s; process sandbox")
        print(f"{'policy':<7}{'W':>3}{'evaluations':>13}{'counted':>9}{'children':>10}{'wall s':>9}{'utilisation':>13}")
        rows = []
        for workers in (int(w) for w in args.workers.split(",")):
            for policy in ("dgm", "hgm"):
                row = measure(root, policy, workers, args)
                rows.append(row)
                print(f"{row.policy:<7}{row.workers:>3}{row.evaluations:>13}{row.counted:>9}{row.children:>10}"
                      f"{row.wall:>9.1f}{row.utilisation:>12.0%}")
        for row in (r for r in rows if r.workers == 4):
            verdict = "meets" if row.utilisation >= TARGET else "MISSES"
            print(f"target >= {TARGET:.0%} utilisation at W = 4: {row.policy} {row.utilisation:.0%}, {verdict}")


if __name__ == "__main__":
    main()
