"""SWE-bench instances (a local .json or .jsonl file) as tasks, with repositories from local clones.

No repository can be fetched here, so ``repos_dir`` holds one clone per repository, named ``<owner>__<name>``
(``$GITDGM_SWEBENCH_REPOS``, else ``repos/`` beside the dataset file). The agent gets the tree of
``base_commit``; the hidden tests are ``test_patch``; the reference solution is ``patch``.

Grading, ``$GITDGM_SWEBENCH_GRADER``:
- ``harness`` (default): the ``swebench`` package's own harness (``python -m swebench.harness.run_evaluation``)
  grades the agent's diff in the instance's Docker image, run on the host, where those images can be had
  (pulled, or built by the harness). The package is imported only then; ``pip install swebench``.
- ``local``: gitdgm's sandbox runs the FAIL_TO_PASS and PASS_TO_PASS tests (pytest ids; Django's runner for
  django/django); faithful only when the sandbox has the repository's dependencies installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gitdgm.errors import ConfigError
from gitdgm.suites.files import GitSnapshot, PatchFiles
from gitdgm.suites.grade import Grade
from gitdgm.suites.suite import Suite, balanced_order
from gitdgm.suites.task import Task

REPOS_ENV, GRADER_ENV = "GITDGM_SWEBENCH_REPOS", "GITDGM_SWEBENCH_GRADER"
REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "test_patch", "FAIL_TO_PASS")
# SWE-bench Verified's annotators' time estimates.
DIFFICULTY = {"<15 min fix": "easy", "15 min - 1 hour": "medium", "1-4 hours": "hard", ">4 hours": "hard"}


def load(dataset: Path, *, repos_dir: Path | None = None, grader: str | None = None) -> Suite:
    """Every instance of ``dataset`` as a task; checks that each clone holds its base commit."""
    repos_dir = repos_dir or Path(os.environ.get(REPOS_ENV) or dataset.parent / "repos")
    grader = grader or os.environ.get(GRADER_ENV, "harness")
    if grader not in ("harness", "local"):
        raise ConfigError(f"{GRADER_ENV}={grader!r}: use 'harness' or 'local'")
    if grader == "harness" and importlib.util.find_spec("swebench") is None:
        raise ConfigError(
            f"SWE-bench tasks are graded by the swebench package's harness: pip install swebench "
            f"(or set {GRADER_ENV}=local to run the tests in gitdgm's sandbox)"
        )
    instances = read_instances(dataset)
    harness = HarnessGrader(dataset.resolve()) if grader == "harness" else None
    tasks = [to_task(inst, repos_dir, dataset, harness) for inst in instances]
    _check_commits([(t.repo.clone, t.repo.commit, t.source) for t in tasks])  # type: ignore[attr-defined]
    return Suite(f"swebench-{dataset.stem}", tuple(balanced_order(tasks)))


def read_instances(dataset: Path) -> list[dict]:
    try:
        text = dataset.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"SWE-bench dataset {dataset} cannot be read: {e.strerror}") from None
    try:
        if dataset.suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{dataset}: not valid JSON: {e}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ConfigError(f"{dataset}: expected a list of instance objects (or one object per line in .jsonl)")
    for number, row in enumerate(rows, start=1):
        missing = [k for k in REQUIRED if not row.get(k)]
        if missing:
            raise ConfigError(f"{dataset}: instance {number} ({row.get('instance_id', '?')}) lacks '{missing[0]}'")
    return rows


def to_task(inst: dict, repos_dir: Path, dataset: Path, grader: HarnessGrader | None = None) -> Task:
    clone = repos_dir / inst["repo"].replace("/", "__")
    if not clone.is_dir():
        raise ConfigError(f"{dataset}: {inst['instance_id']} needs a clone of {inst['repo']} at {clone}")
    tests = listed_tests(inst, "FAIL_TO_PASS") + listed_tests(inst, "PASS_TO_PASS")
    return Task(
        id=inst["instance_id"],
        language="python",
        difficulty=DIFFICULTY.get(inst.get("difficulty", ""), "medium"),
        problem=inst["problem_statement"],
        test_command=command_for(inst["repo"], tests),
        time_limit=1800,
        test_time_limit=1800,
        source=f"{dataset}:{inst['instance_id']}",
        repo=GitSnapshot(clone, inst["base_commit"]),
        tests=PatchFiles(inst["test_patch"], name=f"test_patch of {inst['instance_id']}"),
        solution=PatchFiles(inst["patch"], name=f"patch of {inst['instance_id']}") if inst.get("patch") else None,
        grader=grader,
    )


def listed_tests(inst: dict, key: str) -> list[str]:
    """FAIL_TO_PASS / PASS_TO_PASS: a list, or (as published) a JSON string holding one."""
    value = inst.get(key) or []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(f"instance {inst['instance_id']}: '{key}' is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"instance {inst['instance_id']}: '{key}' must be a list of test ids")
    return value


def command_for(repo: str, tests: list[str]) -> str:
    if repo == "django/django":  # ids look like "test_name (module.Class)"; runtests.py wants module.Class.test_name
        labels = [f"{t.split(' (')[1].rstrip(')')}.{t.split(' (')[0]}" if " (" in t else t for t in tests]
        return "python3 tests/runtests.py --parallel 1 --verbosity 2 " + shlex.join(labels)
    return "python3 -m pytest -q -p no:cacheprovider -rA " + shlex.join(tests)


@dataclass(frozen=True)
class HarnessGrader:
    """Grades with SWE-bench's harness on the host (Docker), from the agent's diff against ``base_commit``."""

    dataset: Path

    def __call__(self, task: Task, repo_dir: Path, sandbox: object) -> Grade:
        with tempfile.TemporaryDirectory(prefix="gitdgm-swebench-") as tmp:
            work = Path(tmp)
            try:
                patch = diff(task, repo_dir)
            except ConfigError as e:
                why = f"could not take the agent's diff: {e}"
                return Grade("error", why, 0.0, why=why)
            prediction = {"instance_id": task.id, "model_name_or_path": "gitdgm", "model_patch": patch}
            (work / "preds.jsonl").write_text(json.dumps(prediction) + "\n", encoding="utf-8")
            argv = [sys.executable, "-m", "swebench.harness.run_evaluation", "--dataset_name", str(self.dataset),
                    "--predictions_path", "preds.jsonl", "--instance_ids", task.id, "--run_id", "gitdgm",
                    "--max_workers", "1", "--timeout", str(int(task.test_time_limit))]  # fmt: skip
            try:
                proc = subprocess.run(
                    argv, cwd=work, capture_output=True, text=True, check=False, timeout=task.test_time_limit + 900
                )  # fmt: skip (image builds take a while)
            except subprocess.TimeoutExpired as e:
                why = f"the swebench harness ran past {task.test_time_limit + 900:g} s (image builds included)"
                return Grade("error", str(e.output or ""), task.test_time_limit + 900, why=why)
            report = work / "logs" / "run_evaluation" / "gitdgm" / "gitdgm" / task.id / "report.json"
            output = proc.stdout + proc.stderr
            if not report.is_file():
                why = "the swebench harness wrote no report"
                return Grade("error", output + f"\n[{why}]", 0.0, why=why)
            resolved = json.loads(report.read_text()).get(task.id, {}).get("resolved", False)
            return Grade("resolved", output, 0.0) if resolved else Grade("unresolved", output, 0.0, why="tests_failed")


def diff(task: Task, repo_dir: Path) -> str:
    """The agent's edits as a patch: ``repo_dir`` against the base commit, via a scratch index and object store.

    Nothing is written into the clone: new blobs go to a temporary object directory that borrows the clone's.
    """
    snapshot = task.repo
    assert isinstance(snapshot, GitSnapshot), "SWE-bench tasks are git snapshots"
    git_dir = _git(snapshot.clone, "rev-parse", "--absolute-git-dir").strip()
    with tempfile.TemporaryDirectory(prefix="gitdgm-diff-") as tmp:
        (Path(tmp) / "objects").mkdir()
        env = {
            "GIT_DIR": git_dir,
            "GIT_WORK_TREE": str(repo_dir.resolve()),
            "GIT_INDEX_FILE": str(Path(tmp) / "index"),
            "GIT_OBJECT_DIRECTORY": str(Path(tmp) / "objects"),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(Path(git_dir) / "objects"),
        }
        _git(repo_dir, "read-tree", snapshot.commit, env=env)
        _git(repo_dir, "add", "-A", ".", env=env)
        return _git(repo_dir, "diff", "--cached", "--binary", snapshot.commit, env=env)


def _check_commits(where: list[tuple[Path, str, str]]) -> None:
    """One ``git cat-file --batch-check`` per clone: every (clone, commit, source) base commit must be there."""
    clones = {clone for clone, _, _ in where}
    for clone in sorted(clones):
        wanted = [(commit, source) for c, commit, source in where if c == clone]
        query = "".join(f"{commit}^{{commit}}\n" for commit, _ in wanted)
        answer = _git(clone, "cat-file", "--batch-check", stdin=query).splitlines()
        for (commit, source), line in zip(wanted, answer):
            if line.endswith("missing"):
                raise ConfigError(f"{source}: base commit {commit} is not in {clone}; fetch it there")


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **(env or {})}, input=stdin,
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise ConfigError(f"git {args[0]} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout
