"""The demo's wall time, and where it goes: ``gitdgm demo`` run as a user runs it, timed per phase (target < 90 s).

Each run is a fresh ``gitdgm demo --progress lines`` in a subprocess; the time from one progress line to the next
is charged to the phase the first one started (the tasks of an evaluation overlap, so evaluation is charged as a
whole). ``--checkout DIR`` times the demo of another checkout (say a worktree of an older commit: ``git worktree
add ../before v0.1.0``); one without progress lines gets its total only.

Usage: python benchmarks/perf/demo_time.py [--runs 3] [--generations 3] [--sandbox process] [--checkout DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

TARGET_S = 90.0
EVENT = re.compile(r"^\[ *(\d+\.\d)s\] (.*)$")
PHASES = (("setup", r"^(step \d|catching up)"), ("check", r"^checking "), ("evaluate", r"^evaluating "),
          ("select", r"^selecting "), ("diagnose", r"^diagnosing "), ("self-modify", r"^self-modifying "),
          ("commit", r"^committing "))


def run_demo(generations: int, sandbox: str, checkout: Path | None) -> tuple[float, dict[str, float]]:
    """One demo: its wall time and the seconds charged to each phase."""
    env = dict(os.environ, COLUMNS="120")
    env.pop("OPENAI_API_KEY", None)
    if checkout:
        env["PYTHONPATH"] = str(checkout)
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-c", "from gitdgm.cli.main import main; main()", "demo", "--dir", f"{tmp}/demo",
                "--generations", str(generations), "--sandbox", sandbox]
        lines_flag = subprocess.run(argv[:4] + ["--help"], env=env, capture_output=True, text=True, cwd=tmp).stdout
        if "--progress" in lines_flag:
            argv += ["--progress", "lines"]
        start = time.perf_counter()
        result = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=tmp, check=False)
        wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"the demo failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return wall, charge(result.stderr, wall)


def charge(stderr: str, wall: float) -> dict[str, float]:
    """Seconds per phase, from the progress lines' timestamps (whatever precedes the first line is ``setup``)."""
    events = [(float(m.group(1)), m.group(2)) for m in map(EVENT.match, stderr.splitlines()) if m]
    seconds: dict[str, float] = defaultdict(float)
    if not events:
        return seconds
    seconds["setup"] += events[0][0]
    current = "setup"
    for (at, text), (until, _next) in zip(events, events[1:] + [(wall, "")]):
        current = next((name for name, pattern in PHASES if re.search(pattern, text)), current)
        seconds[current] += max(0.0, until - at)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--sandbox", default="process", choices=["process", "docker"])
    parser.add_argument("--checkout", type=Path, help="Time this checkout's demo instead of the installed one.")
    args = parser.parse_args()
    walls, phases = [], defaultdict(list)
    for number in range(1, args.runs + 1):
        wall, seconds = run_demo(args.generations, args.sandbox, args.checkout)
        walls.append(wall)
        for name, value in seconds.items():
            phases[name].append(value)
        print(f"run {number}: {wall:.1f} s")
    median = statistics.median(walls)
    verdict = "meets" if median < TARGET_S else "MISSES"
    print(f"demo, {args.generations} generations, {args.sandbox} sandbox, {os.cpu_count()} cores: "
          f"median {median:.1f} s over {args.runs} run(s) ({verdict} the {TARGET_S:.0f} s target)")
    for name, values in sorted(phases.items(), key=lambda item: -statistics.median(item[1])):
        print(f"  {name:12} {statistics.median(values):6.1f} s  ({100 * statistics.median(values) / median:4.1f}%)")


if __name__ == "__main__":
    main()
