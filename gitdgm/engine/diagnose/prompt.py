"""The diagnosis prompt for one entry: the agent's summary and code, its evaluation, and the chosen focus, built to
fit the model's context window.

Following the DGM (``prompts/self_improvement_prompt.py``), a failed task is shown with the agent's log, the task,
its patch, the task's hidden tests and their results; the hidden tests reach the diagnosing model only, never the
agent (``scrub`` takes any quoted line of them out of the answer that becomes the child's problem statement).
Better than the DGM: every special entry shows the run of one task it is about (the DGM's SWE-bench prompts show
none), every cut keeps the head and the tail with the number of characters elided, and the answer asks for a log
summary only when a log is shown.

The prompt fits the window it is built for (``budget``): the frame (instructions, the agent's summary, the
evaluation, the focus, the answer's fields) is measured first, in its full form or, when that would crowd out the
evidence, its brief one; the task's parts and the code share what is left, the most relevant first. What is left
out or cut is named in one line of the prompt and in ``Prompt.shown``, which goes into the child's note; a window
too small for even the brief frame fails with the window the model would need.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitdgm.archive.record import Record, outcome_of
from gitdgm.bundled import TEMPLATES
from gitdgm.engine.diagnose.budget import CAPS, PromptBudget, allot, clip
from gitdgm.engine.diagnose.choice import Choice, overflow
from gitdgm.engine.diagnose.code import CodeView, code_tokens, rank_code, select_code, summarise_agent
from gitdgm.errors import GitdgmError
from gitdgm.gateway.tokens import estimate_tokens
from gitdgm.suites import Task

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
#: the same asks in a few words, for a window too small for the full frame
FIELD_BRIEF = {
    "log_summarization": "How the agent worked and what went wrong, from the log.",
    "potential_improvements": "Improvements to its general coding ability, nothing task-specific.",
    "improvement_proposal": "ONE of them as a detailed plan; its first line is the commit subject.",
    "implementation_suggestion": "The files and functions to change, and how.",
    "problem_description": "The plan as a GitHub issue. Never quote the hidden tests.",
}
#: what each entry kind shows of its task's run, in the order shown
PARTS = {
    "failed_task": ("problem", "log", "output", "patch", "tests", "results"),
    "stochasticity": ("problem", "log", "output", "patch", "tests", "results"),
    "context_length": ("problem", "log", "output", "patch"),
    "empty_patches": ("problem", "log", "output"),
    "general": (),
}
TITLES = {
    "problem": "Task",
    "log": "Agent log (transcript.md)",
    "output": "Agent output (stdout and stderr, end)",
    "patch": "Agent patch",
    "tests": "Hidden tests",
    "results": "Hidden test results",
}
LABELS = {
    "problem": "the task",
    "log": "the agent log",
    "output": "the agent output",
    "patch": "the patch",
    "tests": "the hidden tests",
    "results": "the hidden test results",
}
TESTS_NOTE = (
    "The task's hidden tests graded the patch. They were never available to the agent, which has to "
    "write its own tests; do not quote them in your answer.\n"
)
NO_CODE = "(No file fits the prompt: the file map above names them all.)\n"
CUT = " Cut to their head and tail: "
LIST_FILES = 6  # code files the left-out line names (the full frame's; the file map names them all)
EVALUATION_IDS = {False: 20, True: 5}  # task ids listed per outcome, full frame and brief


@dataclass
class Prompt:
    text: str
    fields: tuple[str, ...]  # the answer's fields: log_summarization only when a log is shown
    shown: dict[str, Any]  # what the prompt holds, for the note


def _wrap(part: str) -> tuple[str, str]:
    """What the prompt puts before and after a part's text (a part ends with the blank line before the next)."""
    title = TITLES[part]
    note = TESTS_NOTE + "\n" if part == "tests" else ""
    return f"{note}### {title}\n----- {title} start -----\n", f"\n----- {title} end -----\n\n"


def _part_tokens(part: str, text: str) -> int:
    """The estimate of a part shown whole, piece by piece (so that its clipped text fits what it is granted)."""
    before, after = _wrap(part)
    return estimate_tokens(before) + estimate_tokens(text.rstrip()) + estimate_tokens(after)


def _render(part: str, text: str, tokens: int) -> tuple[str, int, int]:
    """A part within ``tokens``: (the text the prompt shows, its chars, chars elided)."""
    before, after = _wrap(part)
    shown, elided = clip(text.rstrip(), tokens - estimate_tokens(before) - estimate_tokens(after))
    return f"{before}{shown}{after}", len(shown), elided


def hidden_tests(task: Task) -> str:
    """The task's hidden tests as text ("" when they cannot be read): a test patch as it is, else each file. The
    prompt shows what fits; the whole is what ``scrub`` takes out of the answer."""
    patch = getattr(task.tests, "patch", None)
    if isinstance(patch, str):
        return patch
    try:
        with tempfile.TemporaryDirectory(prefix="gitdgm-hidden-") as tmp:
            task.write_tests(Path(tmp))
            files = sorted(p for p in Path(tmp).rglob("*") if p.is_file() and not p.is_symlink())
            return "".join(
                f"--- {p.relative_to(tmp).as_posix()} ---\n{p.read_text('utf-8', 'replace')}\n" for p in files
            )
    except (OSError, GitdgmError):
        return ""


def scrub(text: str, hidden: str) -> str:
    """``text`` with every line of the hidden tests it quotes (20 characters or more) taken out."""
    for line in sorted({x.strip() for x in hidden.splitlines() if len(x.strip()) >= 20}, key=len, reverse=True):
        text = text.replace(line, "[a line of the hidden tests, removed]")
    return text


def _evaluation(record: Record, listed: int) -> str:
    by_kind: dict[str, list[str]] = {}
    for task_id, result in sorted(record.tasks.items()):
        outcome, why = outcome_of(result)
        by_kind.setdefault(f"{outcome}, {why}" if why else outcome, []).append(task_id)
    resolved = len(by_kind.get("resolved", []))
    lines = [f"Score {record.data.get('score', 0.0):.3f}: {resolved} of {len(record.tasks)} tasks resolved."]
    for kind, ids in sorted(by_kind.items()):
        shown = ", ".join(ids[:listed]) + (f" and {len(ids) - listed} more" if len(ids) > listed else "")
        lines.append(f"- {kind} ({len(ids)}): {shown}")
    return "\n".join(lines)


def _focus(choice: Choice, record: Record, logs: dict[str, Any], brief: bool) -> str:
    """The entry's hint (its brief form, where it has one, for the brief frame) and which run is shown."""
    inputs = choice.inputs
    values: dict[str, Any] = {
        "attempted": inputs.get("attempted", 0),
        "empty": inputs.get("empty_patches", 0),
        "resolved": inputs.get("resolved", 0),
        "task": choice.task,
    }
    if choice.kind == "context_length":
        ids = inputs.get("overflowed", [])
        values.update(
            count=len(ids),
            tasks=", ".join(ids),
            error=overflow(logs.get(choice.task or "") or {}) or "(not in the log kept)",
        )
    if choice.kind == "failed_task":
        values["why"] = outcome_of(record.tasks.get(choice.entry, {}))[1] or "unresolved"
    short = TEMPLATES / "diagnosis" / f"{choice.kind}_brief.md"
    path = short if brief and short.is_file() else TEMPLATES / "diagnosis" / f"{choice.kind}.md"
    text = path.read_text(encoding="utf-8").format(**values)
    if choice.task and choice.kind not in ("failed_task", "general"):
        which = "a task it failed" if choice.kind == "stochasticity" else "one such run"
        text += f"\nBelow is {which}, `{choice.task}`.\n"
    return text


def _sources(choice: Choice, log: dict[str, Any], hidden: str) -> dict[str, str]:
    """The whole text of each part the entry shows, in the order shown (parts with nothing to show are absent)."""
    found = {
        "problem": str(log.get("problem") or "(not kept)"),
        "log": _agent_log(log),
        "output": str(log.get("agent_output") or "") if str(log.get("agent_output") or "").strip() else "",
        "patch": str(log.get("patch") or "") or "(empty: the agent changed no file)",
        "tests": hidden,
        "results": str(log.get("test_output") or "") or "(no test output: assume the tests failed)",
    }
    return {part: found[part] for part in (PARTS[choice.kind] if choice.task else ()) if found[part]}


def _agent_log(log: dict[str, Any]) -> str:
    """The agent's own transcript.md; when it kept none, the model calls the gateway relayed for it."""
    if str(log.get("transcript") or "").strip() or not str(log.get("model_calls") or "").strip():
        return str(log.get("transcript") or "")
    return (
        f"(The agent kept no transcript.md. Its model calls, as gitdgm's gateway relayed them:)\n{log['model_calls']}"
    )


def _left_out_line(
    parts: list[str], cut: list[str], files: int, left_out: list[tuple[str, int]], names: bool = True
) -> str:
    """The prompt's one line naming what it leaves out and what it cuts ("" when it shows everything whole), for
    an agent of ``files`` files of which ``left_out`` (path, chars), most relevant first, are not shown; without
    ``names`` (a small window) the files are counted, not listed."""
    items = [LABELS[p] for p in parts]
    if left_out and len(left_out) == files:
        items.append(f"the agent's code ({files} files)")
    elif left_out and names:
        listed = ", ".join(f"{path} ({size:,} chars)" for path, size in left_out[:LIST_FILES])
        more = f", and {len(left_out) - LIST_FILES} more" if len(left_out) > LIST_FILES else ""
        items.append(f"{len(left_out)} of {files} code files: {listed}{more}")
    elif left_out:
        items.append(f"{len(left_out)} of {files} code files")
    text = f"Left out to fit the prompt: {'; '.join(items)}." if items else ""
    if cut:
        text += f"{CUT}{', '.join(LABELS[p] for p in cut)}."
    return f"[{text.strip()}]\n\n" if text else ""


def _line_reserve(sources: dict[str, str], code: dict[str, str], brief: bool) -> int:
    """The most the left-out line (and the note that no code fits) can take: each part named once (left out or
    cut), and the code named at its longest (the longest file names listed and the largest counts, or all of it)."""
    longest = sorted(
        ((path, len(text)) for path, text in code.items()), key=lambda item: -len(f"{item[0]} ({item[1]:,} chars)")
    )[:LIST_FILES]
    some = longest + [("", 0)] * (len(code) - len(longest))
    lines = (
        _left_out_line(list(sources), [], len(code) + 1, some, names=not brief),
        _left_out_line(list(sources), [], len(code), some),
    )
    return max(map(estimate_tokens, lines)) + estimate_tokens(CUT) + estimate_tokens(NO_CODE)


def _frame(
    choice: Choice, record: Record, logs: dict[str, Any], code: dict[str, str], brief: bool, fields: tuple[str, ...]
) -> dict[str, str]:
    """The template's values but for the code, the parts and the left-out line."""
    texts = FIELD_BRIEF if brief else FIELD_TEXT
    return {
        "summary": summarise_agent(code, brief=brief),
        "evaluation": _evaluation(record, EVALUATION_IDS[brief]),
        "focus": _focus(choice, record, logs, brief),
        "fields": "\n".join(f"- {f}: {texts[f]}" for f in fields),
    }


def _compose(frame: dict[str, str], brief: bool, code: str = "", parts: str = "", left_out: str = "") -> str:
    template = TEMPLATES / ("diagnosis/prompt_brief.md" if brief else "diagnose.md")
    return template.read_text(encoding="utf-8").format(**frame, code=code, parts=parts, left_out=left_out)


def build_prompt(
    choice: Choice,
    record: Record,
    logs: dict[str, Any],
    code: dict[str, str],
    hidden: str = "",
    budget: PromptBudget = PromptBudget(),
) -> Prompt:
    """The one user message of the diagnosis, within ``budget``, and what it shows; DiagnosisFailed when the
    window cannot hold even the brief frame."""
    log = logs.get(choice.task or "") or {}
    sources = _sources(choice, log, hidden)
    needs = {part: min(CAPS[part], _part_tokens(part, text)) for part, text in sources.items()}
    if code:
        needs["code"] = min(CAPS["code"], code_tokens(code))
    logged = tuple(f for f in FIELD_TEXT if f != "log_summarization" or {"log", "output"} & set(sources))
    brief = False
    frame = _frame(choice, record, logs, code, brief, logged)
    available = budget.tokens - estimate_tokens(_compose(frame, brief)) - _line_reserve(sources, code, brief)
    # the full frame unless it leaves the evidence less than all it needs and less than half the prompt
    if available < min(sum(needs.values()), budget.tokens // 2):
        brief = True
        frame = _frame(choice, record, logs, code, brief, logged)
        fixed = estimate_tokens(_compose(frame, brief)) + _line_reserve(sources, code, brief)
        if fixed > budget.tokens:
            raise budget.too_small(fixed)
        available = budget.tokens - fixed
    grants = allot(needs, available)

    log_text = f"{log.get('transcript', '')}\n{log.get('agent_output', '')}"
    view = (
        select_code(code, log_text, grants["code"])
        if "code" in grants
        else CodeView("", [], [(p, len(code[p])) for p in rank_code(code, log_text)], 0)
    )
    shown: dict[str, Any] = {"log_chars": 0, "log_elided": 0, "hidden_tests": "tests" in grants}
    rendered, cut = [], []
    for part, text in sources.items():
        if part not in grants:
            continue
        block, chars, elided = _render(part, text, grants[part])
        rendered.append(block)
        cut += [part] if elided else []
        if part == "log" or (part == "output" and "log" not in grants):  # no transcript: the output is the log
            shown.update(log_chars=chars, log_elided=elided)
    left_out_parts = [p for p in sources if p not in grants]
    fields = tuple(f for f in logged if f != "log_summarization" or shown["log_chars"])
    frame["fields"] = "\n".join(f"- {f}: {(FIELD_BRIEF if brief else FIELD_TEXT)[f]}" for f in fields)
    text = _compose(
        frame,
        brief,
        view.text or NO_CODE,
        "".join(rendered),
        _left_out_line(left_out_parts, cut, len(code), view.left_out, names=not brief),
    )
    listed = [f"{path} ({size})" for path, size in view.left_out[:8]]
    if len(view.left_out) > 8:
        listed.append(f"... and {len(view.left_out) - 8} more")
    shown.update(
        files=len(view.shown),
        code_chars=sum(len(code[p]) for p in view.shown),
        left_out=listed,
        left_out_parts=left_out_parts + (["code"] if code and not view.shown else []),
        cut_parts=cut,
        frame="brief" if brief else "full",
        context_window=budget.window,
        budget_tokens=budget.tokens,
        prompt_tokens=estimate_tokens(text),
    )
    return Prompt(text, fields, shown)
