"""Sandbox overhead: median wall time of `true` per backend, start to exit (targets: docker < 1.0 s, process < 50 ms).

Usage: python benchmarks/perf/sandbox_overhead.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from gitdgm.errors import SandboxError
from gitdgm.sandbox import open_sandbox

TARGETS = {"process": 0.05, "docker": 1.0}


def measure(kind: str, runs: int) -> list[float]:
    sandbox = open_sandbox(kind, quiet=True)
    times = []
    with tempfile.TemporaryDirectory() as repo:
        for _ in range(runs):
            start = time.perf_counter()
            result = sandbox.run(["true"], mounts={"repo": Path(repo)}, cwd="{repo}", env={}, timeout=30)
            times.append(time.perf_counter() - start)
            assert result.exit_code == 0, result.output
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    for kind, target in TARGETS.items():
        try:
            times = measure(kind, runs)
        except SandboxError as error:
            print(f"{kind:8} skipped: {error}")
            continue
        median = statistics.median(times)
        verdict = "ok" if median < target else "OVER TARGET"
        print(f"{kind:8} median {median * 1000:7.1f} ms  min {min(times) * 1000:7.1f} ms  "
              f"max {max(times) * 1000:7.1f} ms  (n={runs}, target < {target * 1000:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
