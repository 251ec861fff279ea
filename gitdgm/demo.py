"""``gitdgm demo``: a whole DGM run offline, with a scripted model, so a new user sees it work in minutes.

The scripted model is honest about what it is: it knows the reference solutions of a few builtin tasks. It
solves the easy ones for any agent, and the harder ones only for agents whose system prompt tells them to run
the tests before finishing — which is exactly the improvement its diagnosis proposes and its self-modification
makes. So children really do change their own code (a real commit to ``dgm_agent/prompts/system.md``), and the
real sandbox, gateway, evaluation and selection turn that change into a higher score.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.archive import Archive
from gitdgm.suites import Suite, Task

IMPROVEMENT_MARKER = "run the tests before you finish"
DIAGNOSIS = {
    "log_summarization": "On the failed tasks the agent edited files without ever running the tests, and stopped "
                         "as soon as it had made one plausible change.",
    "potential_improvements": "1. Run the tests before finishing. 2. Reproduce the bug first. 3. Re-read the diff.",
    "improvement_proposal": "Make the agent verify its fix by running the tests before it finishes",
    "implementation_suggestion": "Add an instruction to dgm_agent/prompts/system.md telling the agent to run the "
                                 "tests before it finishes.",
    "problem_description": "The agent declares success without checking its work, so subtle fixes stay wrong. "
                           "Change its system prompt so that it always runs the tests before it finishes.",
}


def demo_script(tasks: list[Task]) -> dict[str, Any]:
    """A scripted-model script for ``tasks``: easy ones solved by anyone, the rest only by improved agents."""
    scenarios: list[dict[str, Any]] = [
        {"name": "diagnosis", "match": {"user": "Diagnose a coding agent"},
         "turns": [{"content": "```json\n" + _json(DIAGNOSIS) + "\n```"}]},
        {"name": "self-improvement", "match": {"user": "Improve yourself"},
         "turns": [{"content": "I will add the instruction to my system prompt.",
                    "tool_calls": [{"name": "bash", "arguments": {"command": (
                        f"printf '\\nAlways {IMPROVEMENT_MARKER}.\\n' >> dgm_agent/prompts/system.md")}}]},
                   {"content": "My system prompt now tells me to run the tests before finishing."}]},
    ]
    for task in tasks:
        problem = {"user": re.escape(task.problem.strip()[:80])}
        solve = {"name": f"solve-{task.id}", "turns": _solution_turns(task)}
        if task.difficulty == "easy":
            scenarios.append({**solve, "match": problem})
        else:
            scenarios.append({**solve, "match": {**problem, "system": re.escape(IMPROVEMENT_MARKER)}})
            scenarios.append({"name": f"miss-{task.id}", "match": problem,
                              "turns": [{"content": "I looked around but I am not sure what to change."}]})
    return {"schema": 1, "scenario": scenarios, "default": {"content": "I cannot help with that."}}


def _solution_turns(task: Task) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        task.write_solution(Path(tmp))
        files = {p.relative_to(tmp).as_posix(): p.read_text() for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
    turns: list[dict[str, Any]] = [{"content": "Let me look at the repository.",
                                    "tool_calls": [{"name": "bash", "arguments": {"command": "git ls-files"}}]}]
    for path, text in files.items():
        turns.append({"tool_calls": [{"name": "bash", "arguments": {
            "command": f"mkdir -p \"$(dirname '{path}')\" && cat > '{path}' <<'GITDGM_EOF'\n{text}GITDGM_EOF"}}]})
    turns.append({"content": "Fixed; the change is in place."})
    return turns


def demo_tasks(suite: Suite, count: int) -> list[Task]:
    """A few tasks with reference solutions, easy and harder mixed, in the suite's order."""
    usable = [t for t in suite.tasks if t.solution is not None and t.language == "python"]
    easy = [t for t in usable if t.difficulty == "easy"][: count // 2]
    hard = [t for t in usable if t.difficulty != "easy"][: count - len(easy)]
    return sorted(easy + hard, key=lambda t: suite.tasks.index(t))


def write_demo_suite(tasks: list[Task], dest: Path) -> None:
    """The chosen tasks as a task-directory suite the archive's config can name."""
    for task in tasks:
        root = dest / task.id
        task.write_repo(root / "repo")
        task.tests.write(root / "tests")
        (root / "task.toml").write_text(tomli_w.dumps({
            "schema": 1, "id": task.id, "language": task.language, "difficulty": task.difficulty,
            "problem": task.problem, "test_command": task.test_command, "time_limit": int(task.time_limit),
            "test_time_limit": int(task.test_time_limit)}))


def _json(data: dict[str, str]) -> str:
    return json.dumps(data, indent=1)


def run_demo(directory: Path, *, generations: int, parents: int, tasks: int, sandbox: str,
             echo: Callable[[str], None]) -> Archive:
    """Create a demo archive in ``directory`` and run ``generations`` steps on it."""
    from gitdgm.init import init_archive
    from gitdgm.runtime import open_runtime
    from gitdgm.step import run_step
    from gitdgm.suites import load_suite

    archive, seed = init_archive(directory)
    chosen = demo_tasks(load_suite("builtin"), tasks)
    write_demo_suite(chosen, directory / "demo-suite")
    script = tomli_w.dumps(demo_script(chosen)).encode()
    config = {"schema": 1,
              "model": {"name": "scripted-demo", "base_url": "scripted:demo-model.toml"},
              "selection": {"policy": "dgm", "parents": parents},
              "eval": {"suite": "demo-suite", "stages": [len(chosen)], "thresholds": [], "workers": 2},
              "selfmod": {"time_limit": 120}, "sandbox": {"backend": sandbox}}
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(), "demo-model.toml": script}
    for path in sorted((directory / "demo-suite").rglob("*")):
        if path.is_file():
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    archive.commit_files(files, "gitdgm demo: scripted model and a small suite")
    echo(f"Demo archive in {directory}: seed {seed}, {len(chosen)} builtin tasks, scripted model.")
    for generation in range(1, generations + 1):
        with open_runtime(archive) as rt:
            report = run_step(rt)
        children = ", ".join(f"{c.id or '-'} {c.status}" + (f" {c.score:.2f}" if c.score is not None else "")
                             for c in report.caught_up + report.children)
        echo(f"step {generation}/{generations}: {children}; best {report.best} ({report.best_score or 0:.2f})")
    return archive
