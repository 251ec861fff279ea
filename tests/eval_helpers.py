"""Helpers for the evaluation-harness tests: a real archive (real seed agent) with a tiny custom suite.

The suite is four one-file Python tasks. Each has a hidden check script and a reference solution that both carry
marker strings, so a test can prove neither ever reached the model. The scripted model answers each task with a
behaviour the test picks:

- ``solve``: the right edit (the seed agent's ``editor`` tool, ``str_replace``) → ``resolved``
- ``wrong``: a wrong edit (``bash`` with ``sed``) → ``unresolved``
- ``none``: no edit at all → ``unresolved`` (why ``empty_patch``)
- ``peek``: ``ls -R`` and ``cat`` of every file it can see, then the right edit → ``resolved``
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.archive import Agent, Archive, agent_id
from gitdgm.archive.create import init_archive

# id → (module, buggy line, fixed line, wrong line, hidden check)
TASKS: dict[str, tuple[str, str, str, str, str]] = {
    "t1-add": ("adder", "return a - b", "return a + b", "return a * b", "assert adder.f(2, 3) == 5"),
    "t2-max": ("maxer", "return min(xs)", "return max(xs)", "return xs[0]", "assert maxer.f([1, 9, 4]) == 9"),
    "t3-neg": ("negater", "return x", "return -x", "return abs(x)", "assert negater.f(4) == -4"),
    "t4-len": ("lengther", "return 0", "return len(s)", "return 1", "assert lengther.f('abc') == 3"),
}
ORDER = list(TASKS)
HIDDEN_MARKER = "HIDDEN-CHECK-7f3a"
REFERENCE_MARKER = "REFERENCE-SOLUTION-c41d"


def problem(task_id: str) -> str:
    module = TASKS[task_id][0]
    return f"TASK {task_id}: the function f in {module}.py returns the wrong value. Fix it.\n"


def hidden_file(task_id: str) -> str:
    return f"check_{TASKS[task_id][0]}_hidden.py"


def write_suite(dest: Path, order: list[str] = ORDER) -> None:
    """Task directories (task.toml, repo/, tests/, solution/) and a suite.toml fixing the order."""
    for task_id, (module, buggy, fixed, _wrong, check) in TASKS.items():
        root = dest / task_id
        for sub in ("repo", "tests", "solution"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "repo" / f"{module}.py").write_text(f"def f({_arg(module)}):\n    {buggy}\n")
        (root / "solution" / f"{module}.py").write_text(f"# {REFERENCE_MARKER}\ndef f({_arg(module)}):\n"
                                                        f"    {fixed}\n")
        (root / "tests" / hidden_file(task_id)).write_text(f"# {HIDDEN_MARKER}\nimport {module}\n{check}\n"
                                                           f"print('{HIDDEN_MARKER} passed')\n")
        (root / "task.toml").write_text(tomli_w.dumps({
            "schema": 1, "id": task_id, "language": "python", "difficulty": "easy", "problem": problem(task_id),
            "test_command": f"python3 {hidden_file(task_id)}", "time_limit": 60, "test_time_limit": 20}))
    (dest / "suite.toml").write_text(tomli_w.dumps({"schema": 1, "name": "tiny", "order": order}))


def _arg(module: str) -> str:
    return {"adder": "a, b", "maxer": "xs", "negater": "x", "lengther": "s"}[module]


def turns(task_id: str, behaviour: str) -> list[dict[str, Any]]:
    module, buggy, fixed, wrong, _check = TASKS[task_id]
    path = f"{module}.py"
    fix = {"tool_calls": [{"name": "editor", "arguments": {
        "command": "str_replace", "path": path, "old_str": buggy, "new_str": fixed}}]}
    if behaviour == "solve":
        return [fix, {"content": "Fixed."}]
    if behaviour == "wrong":
        return [{"tool_calls": [{"name": "bash", "arguments": {"command": f"sed -i 's/{buggy}/{wrong}/' {path}"}}]},
                {"content": "Fixed, I think."}]
    if behaviour == "none":
        return [{"content": "I do not see anything to change."}]
    if behaviour == "peek":
        look = "ls -laR; for f in $(find . -type f -not -path './.git/*'); do echo \"== $f\"; cat \"$f\"; done"
        return [{"tool_calls": [{"name": "bash", "arguments": {"command": look}}]}, fix, {"content": "Fixed."}]
    raise ValueError(f"unknown behaviour {behaviour!r}")


def script(behaviours: dict[str, str], delays: dict[str, float] | None = None,
           extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A scripted-model script: ``extra`` scenarios first, then one per task, matched on the problem's first line."""
    scenarios = list(extra or [])
    for task_id, behaviour in behaviours.items():
        task_turns = turns(task_id, behaviour)
        if delays and task_id in delays:
            task_turns[0] = {**task_turns[0], "delay": delays[task_id]}
        scenarios.append({"name": task_id, "match": {"user": f"TASK {task_id}:"}, "turns": task_turns})
    return {"schema": 1, "scenario": scenarios, "default": {"content": "No scenario for this."}}


def make_archive(path: Path, behaviours: dict[str, str], *, stages: list[int] | None = None,
                 thresholds: list[float] | None = None, workers: int = 2, base_url: str = "scripted:model.toml",
                 delays: dict[str, float] | None = None, order: list[str] = ORDER, sandbox: str = "process",
                 suite: str = "suite", extra: list[dict[str, Any]] | None = None) -> tuple[Archive, str]:
    """A fresh archive whose default branch holds the tiny suite, the script and gitdgm.toml; (archive, seed)."""
    archive, seed = init_archive(path)
    write_suite(path / "suite", order)
    stages = stages or [len(TASKS)]
    config = {"schema": 1, "model": {"name": "scripted-test", "base_url": base_url},
              "eval": {"suite": suite, "stages": stages, "thresholds": thresholds or [],
                       "workers": workers, "agent_time_limit": 60},
              "sandbox": {"backend": sandbox}}
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(),
             "model.toml": tomli_w.dumps(script(behaviours, delays, extra)).encode()}
    files.update({p.relative_to(path).as_posix(): p.read_bytes()
                  for p in sorted((path / "suite").rglob("*")) if p.is_file()})
    archive.commit_files(files, "test experiment: tiny suite, scripted model, stages")
    return archive, seed


def gitdgm_argv(path: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "from gitdgm.cli.main import main; main()", *args, "-C", str(path)]


def git(path: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(path), *args], check=False, capture_output=True, text=True)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def note(path: Path, agent: str) -> dict[str, Any]:
    """The agent's record as git shows it, parsed as TOML (a note that is not TOML fails the test)."""
    return tomllib.loads(git(path, "notes", "--ref=dgm", "show", f"dgm/{agent}"))


def outcomes(record: dict[str, Any]) -> dict[str, str]:
    return {task_id: result["outcome"] for task_id, result in record.get("tasks", {}).items()}


def first_requests(requests_seen: list[dict[str, Any]], task_id: str) -> int:
    """How many agent runs of ``task_id`` reached the model: requests that open a conversation (no assistant
    message yet) about that task."""
    count = 0
    for seen in requests_seen:
        messages = (seen.get("body") or {}).get("messages") or []
        users = [m.get("content") for m in messages if m.get("role") == "user"]
        opens = not any(m.get("role") == "assistant" for m in messages)
        if opens and users and f"TASK {task_id}:" in str(users[0]):
            count += 1
    return count


def make_agent(archive: Archive, parent: str, files: dict[str, str]) -> Agent:
    """Commit a hand-written agent tree (e.g. one that needs no model) as a child of ``parent`` on its branch."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        tree = archive.tree_from_directory(Path(tmp))
    commit = archive.create_agent_commit(tree, archive.resolve(parent).commit, "Hand-written test agent")
    archive.set_branch(commit)
    return archive.resolve(agent_id(commit))
