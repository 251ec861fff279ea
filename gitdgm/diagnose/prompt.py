"""The diagnosis prompt for one entry: the agent's summary and code, its evaluation, and the chosen focus.

Following the DGM (``prompts/self_improvement_prompt.py``), a failed task is shown with the agent's log, the task,
its patch, the task's hidden tests and their results; the hidden tests reach the diagnosing model only, never the
agent (``scrub`` takes any quoted line of them out of the answer that becomes the child's problem statement).
Better than the DGM: every special entry shows the run of one task it is about (the DGM's SWE-bench prompts show
none), every cut keeps the head and the tail with the number of characters elided, and the answer asks for a log
summary only when a log is shown.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitdgm.diagnose.choice import Choice, overflow
from gitdgm.diagnose.code import select_code, summarise_agent
from gitdgm.errors import GitdgmError
from gitdgm.record import Record, outcome_of
from gitdgm.suites import Task

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FIELD_TEXT = {
    "log_summarization": "Analyze the log above and summarize how the agent tried to solve the task: which tools "
                         "it used and how, its problem-solving approach, and the problems it met.",
    "potential_improvements": "Identify potential improvements to the coding agent that could enhance its coding "
                              "capabilities. Focus on its general coding abilities (e.g. better or new tools usable "
                              "in any repository), not task-specific fixes. The environment and its dependencies "
                              "are already set up: do not focus on them.",
    "improvement_proposal": "Choose ONE high-impact improvement from the potential improvements and describe it in "
                            "detail: a focused and comprehensive plan to enhance the agent's overall coding ability. "
                            "Its first line is the commit subject.",
    "implementation_suggestion": "Referring to the agent's summary and code, think critically about what feature or "
                                 "tool could be added or improved to best implement the proposal. If existing tools "
                                 "can be modified to do it, describe the modifications instead of a new tool. Name "
                                 "the files and functions.",
    "problem_description": "Phrase the proposal and the implementation suggestion as a GitHub issue that clearly "
                           "describes the feature, so that a software engineer viewing the issue and the "
                           "repository can implement it. Never quote the hidden tests: the agent must not see them.",
}
#: what each entry kind shows of its task's run
PARTS = {"failed_task": ("problem", "log", "output", "patch", "tests", "results"),
         "stochasticity": ("problem", "log", "output", "patch", "tests", "results"),
         "context_length": ("problem", "log", "output", "patch"),
         "empty_patches": ("problem", "log", "output"), "general": ()}


@dataclass(frozen=True)
class Limits:
    """Characters of each part the prompt shows (longer text keeps its head and tail)."""

    code: int = 60_000
    log: int = 24_000
    output: int = 4_000
    problem: int = 6_000
    patch: int = 8_000
    tests: int = 8_000
    results: int = 6_000


@dataclass
class Prompt:
    text: str
    fields: tuple[str, ...]  # the answer's fields: log_summarization only when a log is shown
    shown: dict[str, Any]  # what the prompt holds, for the note


def clip(text: str, limit: int) -> tuple[str, int]:
    """``text`` within ``limit`` chars: its head and tail, cut at line ends, with the elided count marked."""
    if len(text) <= limit:
        return text, 0
    half = limit // 2
    head, tail = text[:half], text[len(text) - half:]
    head = head[: head.rfind("\n") + 1] if head.rfind("\n") > half // 2 else head
    tail = tail[tail.find("\n") + 1:] if -1 < tail.find("\n") < half // 2 else tail
    elided = len(text) - len(head) - len(tail)
    return f"{head}\n[... {elided:,} chars elided by gitdgm ...]\n{tail}", elided


def _block(title: str, text: str) -> str:
    return f"### {title}\n----- {title} start -----\n{text.rstrip()}\n----- {title} end -----\n"


def hidden_tests(task: Task, limit: int) -> str:
    """The task's hidden tests as text ("" when they cannot be read): a test patch as it is, else each file."""
    patch = getattr(task.tests, "patch", None)
    if isinstance(patch, str):
        return clip(patch, limit)[0]
    try:
        with tempfile.TemporaryDirectory(prefix="gitdgm-hidden-") as tmp:
            task.write_tests(Path(tmp))
            files = sorted(p for p in Path(tmp).rglob("*") if p.is_file() and not p.is_symlink())
            text = "".join(f"--- {p.relative_to(tmp).as_posix()} ---\n{p.read_text('utf-8', 'replace')}\n"
                           for p in files)
    except (OSError, GitdgmError):
        return ""
    return clip(text, limit)[0]


def scrub(text: str, hidden: str) -> str:
    """``text`` with every line of the hidden tests it quotes (20 characters or more) taken out."""
    for line in sorted({x.strip() for x in hidden.splitlines() if len(x.strip()) >= 20}, key=len, reverse=True):
        text = text.replace(line, "[a line of the hidden tests, removed]")
    return text


def _evaluation(record: Record) -> str:
    by_kind: dict[str, list[str]] = {}
    for task_id, result in sorted(record.tasks.items()):
        outcome, why = outcome_of(result)
        by_kind.setdefault(f"{outcome}, {why}" if why else outcome, []).append(task_id)
    resolved = len(by_kind.get("resolved", []))
    lines = [f"Score {record.data.get('score', 0.0):.3f}: {resolved} of {len(record.tasks)} tasks resolved."]
    for kind, ids in sorted(by_kind.items()):
        shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
        lines.append(f"- {kind} ({len(ids)}): {shown}")
    return "\n".join(lines)


def _focus(choice: Choice, record: Record, logs: dict[str, Any]) -> str:
    inputs = choice.inputs
    values: dict[str, Any] = {"attempted": inputs.get("attempted", 0), "empty": inputs.get("empty_patches", 0),
                              "resolved": inputs.get("resolved", 0), "task": choice.task}
    if choice.kind == "context_length":
        ids = inputs.get("overflowed", [])
        values.update(count=len(ids), tasks=", ".join(ids),
                      error=overflow(logs.get(choice.task or "") or {}) or "(not in the log kept)")
    if choice.kind == "failed_task":
        values["why"] = outcome_of(record.tasks.get(choice.entry, {}))[1] or "unresolved"
    return (TEMPLATES / "diagnosis" / f"{choice.kind}.md").read_text(encoding="utf-8").format(**values)


def _task_view(choice: Choice, log: dict[str, Any], hidden: str, limits: Limits) -> tuple[str, dict[str, Any]]:
    parts = PARTS[choice.kind] if choice.task else ()
    shown: dict[str, Any] = {"log_chars": 0, "log_elided": 0, "hidden_tests": False}
    out = []
    if choice.kind != "failed_task" and parts:
        which = "a task it failed" if choice.kind == "stochasticity" else "one such run"
        out.append(f"Below is {which}, `{choice.task}`.\n")
    for part in parts:
        if part == "problem":
            out.append(_block("Task", clip(str(log.get("problem") or "(not kept)"), limits.problem)[0]))
        elif part == "log" and log.get("transcript"):
            text, elided = clip(str(log["transcript"]), limits.log)
            shown.update(log_chars=len(text), log_elided=elided)
            out.append(_block("Agent log (transcript.md)", text))
        elif part == "output" and str(log.get("agent_output") or "").strip():
            text, elided = clip(str(log["agent_output"]), limits.output)
            if not shown["log_chars"]:  # an agent that keeps no transcript: its output is the log
                shown.update(log_chars=len(text), log_elided=elided)
            out.append(_block("Agent output (stdout and stderr, end)", text))
        elif part == "patch":
            patch = str(log.get("patch") or "") or "(empty: the agent changed no file)"
            out.append(_block("Agent patch", clip(patch, limits.patch)[0]))
        elif part == "tests" and hidden:
            shown["hidden_tests"] = True
            out.append("The task's hidden tests graded the patch. They were never available to the agent, which "
                       "has to write its own tests; do not quote them in your answer.\n")
            out.append(_block("Hidden tests", hidden))
        elif part == "results":
            results = str(log.get("test_output") or "") or "(no test output: assume the tests failed)"
            out.append(_block("Hidden test results", clip(results, limits.results)[0]))
    return "\n".join(out), shown


def build_prompt(choice: Choice, record: Record, logs: dict[str, Any], code: dict[str, str], hidden: str = "",
                 limits: Limits = Limits()) -> Prompt:
    """The one user message of the diagnosis, and what it shows."""
    log = logs.get(choice.task or "") or {}
    view, shown = _task_view(choice, log, hidden, limits)
    code_view = select_code(code, f"{log.get('transcript', '')}\n{log.get('agent_output', '')}", limits.code)
    fields = tuple(f for f in FIELD_TEXT if f != "log_summarization" or shown["log_chars"])
    text = (TEMPLATES / "diagnose.md").read_text(encoding="utf-8").format(
        summary=summarise_agent(code), code=code_view.text, evaluation=_evaluation(record),
        focus=f"{_focus(choice, record, logs)}\n{view}", fields="\n".join(f"- {f}: {FIELD_TEXT[f]}" for f in fields))
    left_out = [f"{path} ({size})" for path, size in code_view.left_out[:8]]
    if len(code_view.left_out) > 8:
        left_out.append(f"... and {len(code_view.left_out) - 8} more")
    shown.update(files=len(code_view.shown), code_chars=sum(len(code[p]) for p in code_view.shown),
                 left_out=left_out)
    return Prompt(text, fields, shown)
