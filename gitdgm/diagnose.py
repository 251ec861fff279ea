"""Diagnosis: the FM reads a parent's real code and its evaluation logs and proposes one improvement to itself.

Entry choices follow the DGM: fix empty patches, fix stochasticity (solved some, not all), fix context length, or
learn from one failed task; the choice and the seed are recorded in the child's note. The answer is JSON with the
DGM's five fields; fences and chatter around it are tolerated, a bad answer is retried with the parse error, and
after the configured attempts the diagnosis gives up cleanly (no child is made).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai

from gitdgm.errors import BudgetExceeded, GitdgmError
from gitdgm.record import Record

FIELDS = ("log_summarization", "potential_improvements", "improvement_proposal", "implementation_suggestion",
          "problem_description")
CODE_LIMIT = 60_000
LOG_LIMIT = 12_000
PROMPTS = Path(__file__).parent / "templates"


class DiagnosisFailed(GitdgmError):
    """The FM did not produce a usable improvement proposal."""


@dataclass
class Diagnosis:
    entry: str  # what the diagnosis looked at: empty_patches | stochasticity | context_length | a task id
    answer: dict[str, str]
    attempts: int

    @property
    def subject(self) -> str:
        first = self.answer["improvement_proposal"].strip().splitlines()[0]
        return first if len(first) <= 72 else first[:69].rstrip() + "..."

    def problem_statement(self) -> str:
        template = (PROMPTS / "self_improvement.md").read_text()
        return template.format(**self.answer)


def choose_entry(record: Record, logs: dict[str, Any], rng: random.Random) -> str:
    """Like the DGM: systemic failures first when they are common, else one failed task at random."""
    outcomes = [t.get("outcome") for t in record.tasks.values()]
    failed = sorted(tid for tid, t in record.tasks.items() if t.get("outcome") != "resolved")
    options: list[str] = []
    if outcomes and outcomes.count("empty_patch") / len(outcomes) >= 0.1:
        options.append("empty_patches")
    if any("context" in (log.get("transcript", "") + log.get("agent_output", "")).lower() and "elided" in
           (log.get("transcript", "") + log.get("agent_output", "")).lower() for log in logs.values()):
        options.append("context_length")
    if 0 < record.data.get("resolved", 0) < len(outcomes):
        options.append("stochasticity")
    options += failed
    return rng.choice(options) if options else "general"


def build_prompt(code: dict[str, str], record: Record, logs: dict[str, Any], entry: str) -> str:
    counts: dict[str, int] = {}
    for result in record.tasks.values():
        counts[result.get("outcome", "?")] = counts.get(result.get("outcome", "?"), 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no tasks run"
    code_text = "\n\n".join(f"--- {path} ---\n{text}" for path, text in code.items())[:CODE_LIMIT]
    if entry in logs:
        focus = logs[entry]
        detail = (f"## The failed task `{entry}` ({focus.get('outcome')})\n### Problem\n{focus.get('problem', '')}\n"
                  f"### Your transcript (end)\n{focus.get('transcript', '')[-LOG_LIMIT:]}\n"
                  f"### Your patch\n{focus.get('patch', '') or '(empty)'}\n"
                  f"### Hidden test output (end)\n{focus.get('test_output', '')[-4000:]}")
    else:
        detail = f"## Focus: {ENTRY_FOCUS.get(entry, 'make the agent more capable in general')}"
    template = (PROMPTS / "diagnose.md").read_text()
    return template.format(score=record.data.get("score", 0.0), summary=summary, code=code_text, detail=detail,
                           fields=", ".join(FIELDS))


ENTRY_FOCUS = {
    "empty_patches": "many runs ended with an empty patch: find out why the agent finishes without editing files",
    "stochasticity": "the agent solves some tasks and fails similar ones: make its behaviour more reliable",
    "context_length": "runs hit the context limit: make the agent manage its context better",
}


def parse_answer(text: str) -> dict[str, str]:
    """The JSON object in ``text`` (fences and chatter tolerated) with the five fields as strings."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1]
    try:
        data = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not a JSON object ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("the answer must be a JSON object")
    missing = [f for f in FIELDS if not data.get(f)]
    if missing:
        raise ValueError(f"the JSON object lacks non-empty fields: {', '.join(missing)}")
    return {f: v if isinstance(v, str) else json.dumps(v, indent=1) for f, v in ((f, data[f]) for f in FIELDS)}


def diagnose(*, socket: Path, token: str, model: str, code: dict[str, str], record: Record,
             logs: dict[str, Any], rng: random.Random, attempts: int) -> Diagnosis:
    entry = choose_entry(record, logs, rng)
    messages: list[dict[str, str]] = [{"role": "user", "content": build_prompt(code, record, logs, entry)}]
    client = openai.OpenAI(base_url="http://gateway/v1", api_key=token, max_retries=2,
                           http_client=httpx.Client(transport=httpx.HTTPTransport(uds=str(socket), verify=False), timeout=600))
    problem = "no answer"
    with client:
        for attempt in range(1, attempts + 1):
            try:
                reply = client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
            except openai.APIStatusError as exc:
                if exc.status_code == 402:
                    raise BudgetExceeded(f"budget exhausted during diagnosis: {exc.message}") from None
                raise DiagnosisFailed(f"the model failed during diagnosis: {exc.message}") from None
            except openai.APIError as exc:
                raise DiagnosisFailed(f"the model could not be reached for diagnosis: {exc}") from None
            text = (reply.choices[0].message.content or "") if reply.choices else ""
            try:
                return Diagnosis(entry, parse_answer(text), attempt)
            except ValueError as exc:
                problem = str(exc)
                messages += [{"role": "assistant", "content": text or "(empty)"},
                             {"role": "user", "content": f"That could not be used: {problem}. Answer again with "
                                                         f"only the JSON object with the fields {', '.join(FIELDS)}."}]
    raise DiagnosisFailed(f"no usable diagnosis after {attempts} attempts: {problem}")


def agent_code(files: dict[str, bytes]) -> dict[str, str]:
    """The agent's text files, smallest first so that the whole of a small agent fits the prompt."""
    text = {p: d.decode("utf-8", "replace") for p, d in files.items() if b"\0" not in d[:1024]}
    return dict(sorted(text.items(), key=lambda kv: (not kv[0].endswith((".py", ".md", ".toml")), kv[0])))
