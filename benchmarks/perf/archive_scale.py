"""The archive at scale: build synthetic archives and time what every step and every user command does.

Prints, per size: build time per agent (commit + branch + note), loading every record cold (notes parsed, on
loose objects and again after gc, as in a fresh clone) and warm (load cache), `gitdgm select` and `gitdgm ls
--json` as subprocesses, materialising the deepest agent against a depth-1 agent, and the repository size before
and after `git gc`.

    python benchmarks/perf/archive_scale.py                 # 1,000 and 10,000 agents (a few minutes)
    python benchmarks/perf/archive_scale.py --sizes 2000 --keep /tmp/archives
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # the tests' support package
from support import synthetic  # noqa: E402
from gitdgm.archive import Archive

TARGETS = {"build_ms": 5.0, "load_s": 1.0, "select_s": 1.5, "materialise_ratio": 2.0, "size_mb": 50.0}


def timed(action: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def gitdgm_command(*args: str) -> Callable[[], object]:
    script = shutil.which("gitdgm") or str(Path(sys.executable).with_name("gitdgm"))
    return lambda: subprocess.run([script, *args], check=True, capture_output=True)


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def materialise_time(archive: Archive, commit: str, scratch: Path, repeat: int = 15) -> float:
    runs = iter(range(repeat))
    return timed(lambda: archive.materialise(commit, scratch / f"{commit[:12]}-{next(runs)}"), repeat)


def cold_load(path: Path) -> float:
    """A load with no load cache: every note parsed, every commit read."""
    for cache in (path / "gitdgm").glob("load-cache.*"):
        cache.unlink()
    return timed(lambda: Archive(path).load())


def verdict(value: float, target: float) -> str:
    return f"(target < {target:g}: {'ok' if value < target else 'MISSED'})"


def measure(n: int, root: Path) -> None:
    path = root / f"archive-{n}.git"
    print(f"\n== {n:,} agents ==", flush=True)
    started = time.perf_counter()
    stats = synthetic.build(path, n, max_depth=200, seed=0)
    print(f"build                {time.perf_counter() - started:8.1f} s total, "
          f"{stats.seconds_per_agent * 1e3:.2f} ms per agent {verdict(stats.seconds_per_agent * 1e3, TARGETS['build_ms'])}"
          f"; deepest lineage {stats.max_depth}", flush=True)

    cold = cold_load(path)
    warm = timed(lambda: Archive(path).load(), repeat=3)
    agents = len(Archive(path).load().agents)
    print(f"load all records     {cold:8.3f} s cold (loose objects: every note and commit read from its own file) "
          f"{verdict(cold, TARGETS['load_s'])}, {warm:.3f} s warm (load cache) {verdict(warm, TARGETS['load_s'])}; "
          f"{agents:,} agents", flush=True)

    startup = timed(gitdgm_command("--version"), repeat=3)
    select = timed(gitdgm_command("select", "-C", str(path), "-k", "2", "--seed", "1", "--json"), repeat=3)
    listing = timed(gitdgm_command("ls", "-C", str(path), "--json"), repeat=3)
    print(f"gitdgm select        {select:8.3f} s end to end {verdict(select, TARGETS['select_s'])} "
          f"(interpreter + imports alone: {startup:.3f} s)")
    print(f"gitdgm ls --json     {listing:8.3f} s end to end", flush=True)

    archive = Archive(path)
    with tempfile.TemporaryDirectory(dir=root) as scratch:
        for label in ("loose objects", "after git gc"):
            if label == "after git gc":
                before = size_mb(path)
                gc = timed(lambda: subprocess.run(["git", "-C", str(path), "gc", "--quiet"], check=True))
                after = size_mb(path)
                print(f"repository size      {after:8.1f} MB after git gc {verdict(after, TARGETS['size_mb'])} "
                      f"({before:.1f} MB before; gc took {gc:.1f} s)", flush=True)
                archive = Archive(path)
                cold = cold_load(path)
                print(f"load all records     {cold:8.3f} s cold after git gc (a fresh clone's packed objects) "
                      f"{verdict(cold, TARGETS['load_s'])}", flush=True)
            deep = materialise_time(archive, stats.deepest, Path(scratch))
            shallow = materialise_time(archive, stats.shallowest, Path(scratch))
            ratio = deep / shallow
            print(f"materialise ({label}) depth {stats.max_depth}: {deep * 1e3:.2f} ms, depth 1: "
                  f"{shallow * 1e3:.2f} ms, ratio {ratio:.2f} {verdict(ratio, TARGETS['materialise_ratio'])}",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--keep", type=Path, help="Build the archives here and keep them.")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            measure(n, args.keep)
        return
    with tempfile.TemporaryDirectory(prefix="gitdgm-scale-") as root:
        for n in args.sizes:
            measure(n, Path(root))


if __name__ == "__main__":
    main()
