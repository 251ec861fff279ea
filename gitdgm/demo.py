"""``gitdgm demo``: a whole DGM run offline, with a scripted model, so a new user sees it work in minutes.

The scripted model is honest about what it is: it knows the reference solutions of a few builtin tasks. It
solves the easy ones for any agent, the medium ones only for agents whose system prompt tells them to run the
tests before finishing, and the hard ones only for agents that also reproduce the bug first — the two lessons
its diagnosis proposes in turn and its self-modification makes. So children really do change their own code (a
real commit to ``dgm_agent/prompts/system.md``), and the real sandbox, gateway, evaluation and selection turn
each change into a higher score: a third of the tasks for the seed, two thirds, then all.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from gitdgm.archive import Archive
from gitdgm.engine.progress import Progress
from gitdgm.suites import Suite, Task


@dataclass(frozen=True)
class Lesson:
    """A self-improvement the scripted model rewards: the sentence it adds to the agent's system prompt, and the
    diagnosis that proposes it."""

    marker: str
    diagnosis: dict[str, str]

    def line(self) -> str:
        return f"Always {self.marker}."


LESSONS = (
    Lesson(
        "run the tests before you finish",
        {
            "log_summarization": "On the failed tasks the agent edited files without ever running the tests, and "
            "stopped as soon as it had made one plausible change.",
            "potential_improvements": "1. Run the tests before finishing. 2. Reproduce the bug first. 3. Re-read the "
            "diff.",
            "improvement_proposal": "Make the agent verify its fix by running the tests before it finishes",
            "implementation_suggestion": "Add an instruction to dgm_agent/prompts/system.md telling the agent to run "
            "the tests before it finishes.",
            "problem_description": "The agent declares success without checking its work, so subtle fixes stay wrong. "
            "Change its system prompt so that it always runs the tests before it finishes.",
        },
    ),
    Lesson(
        "reproduce the bug with a failing test before you change the code",
        {
            "log_summarization": "On the hardest tasks the agent ran the tests, saw them pass and stopped: the tests "
            "it ran did not cover the bug, so its fix missed the real cause.",
            "potential_improvements": "1. Reproduce the bug with a failing test first. 2. Read the callers of the "
            "changed function. 3. Check edge cases named in the issue.",
            "improvement_proposal": "Make the agent reproduce the bug with a failing test before it changes the code",
            "implementation_suggestion": "Add an instruction to dgm_agent/prompts/system.md telling the agent to "
            "write a failing test that reproduces the bug before it edits the code.",
            "problem_description": "The agent fixes what it guesses the bug is, and the tests it runs do not show the "
            "real one. Change its system prompt so that it first reproduces the bug with a "
            "failing test, then changes the code until that test passes.",
        },
    ),
)
IMPROVEMENT_MARKER = LESSONS[0].marker
LESSONS_NEEDED = {"easy": 0, "medium": 1, "hard": 2}  # by a task's difficulty


def demo_script(tasks: list[Task], lessons: int = len(LESSONS)) -> dict[str, Any]:
    """A scripted-model script for ``tasks`` and the first ``lessons`` of ``LESSONS``.

    The diagnosis proposes the first lesson the agent's code does not show yet (the last one again once it has
    them all: a change that neither helps nor hurts); the self-modification adds the proposed lesson to the
    system prompt; a task is solved by an agent that has the lessons its difficulty needs, missed otherwise."""
    taught = LESSONS[:lessons]
    scenarios: list[dict[str, Any]] = []
    for level in range(len(taught), -1, -1):
        proposal = taught[min(level, len(taught) - 1)]
        scenarios.append(
            {
                "name": f"diagnosis-{level}",
                "match": {"user": "(?s)Diagnose a coding agent" + _having(taught[:level])},
                "turns": [{"content": "```json\n" + _json(proposal.diagnosis) + "\n```"}],
            }
        )
    for lesson in taught:
        proposed = re.escape(lesson.diagnosis["improvement_proposal"])
        scenarios.append(
            {
                "name": f"self-improvement: {lesson.marker}",
                "match": {"user": f"Improve yourself: {proposed}"},
                "turns": [
                    {
                        "content": "I will add the instruction to my system prompt.",
                        "tool_calls": [
                            {
                                "name": "bash",
                                "arguments": {
                                    "command": (f"printf '\\n{lesson.line()}\\n' >> dgm_agent/prompts/system.md")
                                },
                            }
                        ],
                    },
                    {"content": "My system prompt now has the new instruction."},
                ],
            }
        )
    for task in tasks:
        problem = {"user": re.escape(task.problem.strip()[:80])}
        needed = taught[: LESSONS_NEEDED.get(task.difficulty, len(taught))]
        solve = {"name": f"solve-{task.id}", "turns": solution_turns(task)}
        if not needed:
            scenarios.append({**solve, "match": problem})
        else:
            scenarios.append({**solve, "match": {**problem, "system": "(?s)" + _having(needed)}})
            scenarios.append(
                {
                    "name": f"miss-{task.id}",
                    "match": problem,
                    "turns": [{"content": "I looked around but I am not sure what to change."}],
                }
            )
    return {"schema": 1, "scenario": scenarios, "default": {"content": "I cannot help with that."}}


def _having(lessons: tuple[Lesson, ...]) -> str:
    """A regex (DOTALL) matching text that holds each lesson's line, in any order."""
    return "".join(f"(?=.*{re.escape(lesson.line())})" for lesson in lessons)


def solution_files(task: Task) -> dict[str, str]:
    """The files of ``task``'s reference solution, by path in its repository, in path order."""
    with tempfile.TemporaryDirectory() as tmp:
        task.write_solution(Path(tmp))
        return {p.relative_to(tmp).as_posix(): p.read_text() for p in sorted(Path(tmp).rglob("*")) if p.is_file()}


def solution_turns(task: Task) -> list[dict[str, Any]]:
    """Scripted turns that write ``task``'s reference solution into the repository, then stop."""
    files = solution_files(task)
    turns: list[dict[str, Any]] = [
        {
            "content": "Let me look at the repository.",
            "tool_calls": [{"name": "bash", "arguments": {"command": "git ls-files"}}],
        }
    ]
    for path, text in files.items():
        write = f"mkdir -p \"$(dirname '{path}')\" && cat > '{path}' <<'GITDGM_EOF'\n{text}GITDGM_EOF"
        turns.append({"tool_calls": [{"name": "bash", "arguments": {"command": write}}]})
    turns.append({"content": "Fixed; the change is in place."})
    return turns


def demo_tasks(suite: Suite, count: int, lessons: int = len(LESSONS)) -> list[Task]:
    """A few Python tasks with reference solutions, one tier of difficulty per lesson needed, in the suite's order
    (two tasks with one lesson: one easy, one harder)."""
    usable = [t for t in suite.tasks if t.solution is not None and t.language == "python"]
    tiers = [
        [t for t in usable if min(LESSONS_NEEDED.get(t.difficulty, lessons), lessons) == need]
        for need in range(lessons + 1)
    ]
    chosen = [task for number, tier in enumerate(tiers) for task in tier[: _share(count, len(tiers), number)]]
    return sorted(chosen, key=lambda t: suite.tasks.index(t))


def _share(count: int, parts: int, number: int) -> int:
    """Part ``number``'s share of ``count`` split into ``parts`` (the first parts get the remainder)."""
    return count // parts + (1 if number < count % parts else 0)


def write_demo_suite(tasks: list[Task], dest: Path) -> None:
    """The chosen tasks as a task-directory suite the archive's config can name."""
    for task in tasks:
        root = dest / task.id
        task.write_repo(root / "repo")
        task.tests.write(root / "tests")
        (root / "task.toml").write_text(
            tomli_w.dumps(
                {
                    "schema": 1,
                    "id": task.id,
                    "language": task.language,
                    "difficulty": task.difficulty,
                    "problem": task.problem,
                    "test_command": task.test_command,
                    "time_limit": int(task.time_limit),
                    "test_time_limit": int(task.test_time_limit),
                }
            )
        )


def _json(data: dict[str, str]) -> str:
    return json.dumps(data, indent=1)


def run_demo(
    directory: Path,
    *,
    generations: int,
    parents: int,
    tasks: int,
    sandbox: str,
    echo: Callable[[str], None],
    progress: Progress | None = None,
    policy: str = "dgm",
    max_evals: int | None = None,
) -> Archive:
    """Create a demo archive in ``directory`` and run ``generations`` steps on it (under hgm: one run of
    ``max_evals`` task evaluations, since it has no generations)."""
    from gitdgm.archive.create import init_archive
    from gitdgm.engine.services import open_runtime
    from gitdgm.engine.step import run_step
    from gitdgm.suites import load_suite

    archive, seed = init_archive(directory)
    chosen = demo_tasks(load_suite("builtin"), tasks)
    write_demo_suite(chosen, directory / "demo-suite")
    script = tomli_w.dumps(demo_script(chosen)).encode()
    config = {
        "schema": 1,
        "model": {"name": "scripted-demo", "base_url": "scripted:demo-model.toml"},
        "selection": {"policy": policy, "parents": parents},
        "eval": {"suite": "demo-suite", "stages": [len(chosen)], "thresholds": [], "workers": 2},
        "selfmod": {"time_limit": 120},
        "sandbox": {"backend": sandbox},
    }
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(), "demo-model.toml": script}
    for path in sorted((directory / "demo-suite").rglob("*")):
        if path.is_file():
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    archive.commit_files(files, "gitdgm demo: scripted model and a small suite")
    echo(f"Demo archive in {directory}: seed {seed}, {len(chosen)} builtin tasks, scripted model.")
    progress = progress or Progress()
    steps = 1 if policy == "hgm" else generations
    for generation in range(1, steps + 1):
        progress.step(generation, steps)
        with open_runtime(archive, progress=progress) as rt:
            report = run_step(rt, generations=None if policy == "hgm" else 1, max_evals=max_evals)
        children = ", ".join(
            f"{c.id or '-'} {c.status}" + (f" {c.score:.2f}" if c.score is not None else "")
            for c in report.caught_up + report.children
        )
        echo(f"step {generation}/{steps}: {children}; best {report.best} ({report.best_score or 0:.2f})")
    return archive
