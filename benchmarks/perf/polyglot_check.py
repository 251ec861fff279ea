"""Check a Polyglot checkout against gitdgm's grading: every exercise's reference solution must resolve and its
stub must not, per language, in the sandbox the DGM grades in. Exercises the loader skips are counted by reason;
those skipped as unsolvable by design (no tests, a refactoring whose stub passes) have their stub graded too, to
confirm that it does pass. Prints one table row per language, then every mismatch with the end of its output.

    python benchmarks/perf/polyglot_check.py CHECKOUT [--languages rust java] [--sandbox docker] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gitdgm.sandbox import open_sandbox
from gitdgm.sandbox.readback import Limits
from gitdgm.suites import Task, grade
from gitdgm.suites.polyglot import exercise_task, load_language, task_id
from gitdgm.suites.polyglot_tracks import TRACKS
from gitdgm.archive.scratch import Workspace, new_store

CONFIRM = ("no tests", "refactoring")  # skip reasons whose stub is expected to pass


@dataclass
class Row:
    language: str
    exercises: int = 0
    tasks: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    example_resolved: int = 0
    stub_unresolved: int = 0
    confirmed: int = 0  # skipped-as-unsolvable stubs that do pass
    to_confirm: int = 0
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0


def outcome(task: Task, sandbox: object, reference: bool) -> tuple[str, str]:
    """Grade ``task``'s stub (or its reference solution) as the evaluator grades an agent's change."""
    with tempfile.TemporaryDirectory(prefix="polyglot-check-") as tmp:
        repo = Path(tmp) / "repo"
        task.write_repo(repo)
        workspace = Workspace(repo, new_store(Path(tmp) / "store"), Limits())
        if reference:
            task.write_solution(repo)
        graded = grade(task, workspace.changes(), sandbox)
    return graded.outcome, graded.output


def check_language(lang_dir: Path, sandbox: object, workers: int, tail: int) -> Row:
    start = time.monotonic()
    row = Row(lang_dir.name)
    tasks, skipped = load_language(lang_dir)
    row.exercises, row.tasks = len(tasks) + len(skipped), len(tasks)
    row.skipped.update(why.split(":")[0] for _, why in skipped)
    skipped_ids = {i for i, why in skipped if why.startswith(CONFIRM)}
    unsolvable = [exercise_task(e, row.language, "medium") for e in sorted((lang_dir / "exercises/practice").iterdir())
                  if task_id(row.language, e) in skipped_ids]  # fmt: skip
    row.to_confirm = len(unsolvable)
    jobs = [(t, True) for t in tasks] + [(t, False) for t in tasks + unsolvable]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda job: outcome(job[0], sandbox, job[1]), jobs))
    for (task, reference), (graded, output) in zip(jobs, results):
        expected = "resolved" if reference or task in unsolvable else "unresolved"
        passed = graded == "resolved"
        if (expected == "resolved") == passed:
            if reference:
                row.example_resolved += 1
            elif task in unsolvable:
                row.confirmed += 1
            else:
                row.stub_unresolved += 1
            continue
        what = "example" if reference else "stub"
        last = "\n      ".join(output.strip().splitlines()[-tail:])
        row.mismatches.append(f"{task.id} {what}: {graded} (expected {expected})\n      {last}")
    row.seconds = time.monotonic() - start
    return row


def print_table(rows: list[Row], sandbox: str) -> None:
    print(f"\nsandbox: {sandbox}\n")
    print("| language | exercises | tasks | skipped (by reason) | example resolved | stub unresolved "
          "| excluded stubs that pass | mismatches | time |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        skipped = ", ".join(f"{n} {why}" for why, n in r.skipped.most_common()) or "—"
        print(f"| {r.language} | {r.exercises} | {r.tasks} | {skipped} | {r.example_resolved}/{r.tasks} "
              f"| {r.stub_unresolved}/{r.tasks} | {r.confirmed}/{r.to_confirm} | {len(r.mismatches)} "
              f"| {r.seconds:.0f} s |")
    for r in rows:
        for mismatch in r.mismatches:
            print(f"  - {mismatch}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a polyglot-benchmark checkout")
    parser.add_argument("--languages", nargs="+", default=list(TRACKS), choices=list(TRACKS))
    parser.add_argument("--sandbox", choices=("process", "docker"), default="docker")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tail", type=int, default=8, help="lines of output shown per mismatch")
    args = parser.parse_args()
    sandbox = open_sandbox(args.sandbox, quiet=True)
    rows = []
    for language in args.languages:
        lang_dir = args.checkout / language
        if not (lang_dir / "exercises" / "practice").is_dir():
            parser.error(f"{lang_dir} has no exercises/practice/ folder")
        rows.append(check_language(lang_dir, sandbox, args.workers, args.tail))
        print(f"{language}: done in {rows[-1].seconds:.0f} s", flush=True)
    print_table(rows, args.sandbox)


if __name__ == "__main__":
    main()
