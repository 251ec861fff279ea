"""Diagnosis: the FM reads a parent's real code and its evaluation logs and proposes one improvement to itself.

The entry (what part of the evaluation to study) is drawn by the DGM's rule (``choice``); the prompt shows the
agent's summary, its code by relevance (``code``) and the entry's focus (``prompt``). The answer is JSON with the
DGM's fields; fences and chatter around it are tolerated, a bad answer is retried with the parse error, and after
the configured attempts the diagnosis gives up cleanly (no child is made). The choice, its probabilities and what
the prompt showed go into the child's note (``Diagnosis.note``).
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

from gitdgm.diagnose.choice import Choice, choose_entry
from gitdgm.diagnose.code import agent_code, summarise_agent
from gitdgm.diagnose.prompt import FIELD_TEXT, TEMPLATES, Limits, build_prompt, hidden_tests, scrub
from gitdgm.errors import BudgetExceeded, GitdgmError
from gitdgm.record import Record
from gitdgm.suites import Suite

__all__ = ["Diagnosis", "DiagnosisFailed", "Limits", "agent_code", "choose_entry", "diagnose", "parse_answer"]
FIELDS = tuple(FIELD_TEXT)


class DiagnosisFailed(GitdgmError):
    """The FM did not produce a usable improvement proposal."""


@dataclass
class Diagnosis:
    """The model's usable answer, with the choice and the prompt's contents that led to it."""

    choice: Choice
    answer: dict[str, str]
    attempts: int
    summary: str  # the agent's architecture, which opens the child's problem statement too
    shown: dict[str, Any]

    @property
    def entry(self) -> str:
        return self.choice.entry

    @property
    def subject(self) -> str:
        first = self.answer["improvement_proposal"].strip().splitlines()[0]
        return first if len(first) <= 72 else first[:69].rstrip() + "..."

    def problem_statement(self) -> str:
        template = (TEMPLATES / "self_improvement.md").read_text(encoding="utf-8")
        return template.format(summary=self.summary, **self.answer).rstrip() + "\n"

    def note(self) -> dict[str, Any]:
        """The note's ``diagnosis`` table: the answer, the choice with its inputs, and what the prompt showed."""
        choice = {"task": self.choice.task or "", "options": self.choice.options, **self.choice.inputs}
        return {"entry": self.entry, "attempts": self.attempts, **self.answer, "choice": choice, "shown": self.shown}


def parse_answer(text: str, fields: tuple[str, ...] = FIELDS) -> dict[str, str]:
    """The JSON object in ``text`` (fences and chatter tolerated) with ``fields`` as strings."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1]
    try:
        data = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not a JSON object ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("the answer must be a JSON object")
    missing = [f for f in fields if not data.get(f)]
    if missing:
        raise ValueError(f"the JSON object lacks non-empty fields: {', '.join(missing)}")
    return {f: data[f] if isinstance(data[f], str) else json.dumps(data[f], indent=1) for f in fields}


def diagnose(*, socket: Path, token: str, model: str, code: dict[str, str], record: Record,
             logs: dict[str, Any], rng: random.Random, attempts: int, suite: Suite | None = None,
             limits: Limits = Limits()) -> Diagnosis:
    choice = choose_entry(record, logs, rng)
    task = next((t for t in suite.tasks if t.id == choice.task), None) if suite else None
    hidden = hidden_tests(task, limits.tests) if task and choice.kind in ("failed_task", "stochasticity") else ""
    prompt = build_prompt(choice, record, logs, code, hidden, limits)
    answer, used = _ask(socket, token, model, prompt.text, prompt.fields, attempts)
    answer = {f: scrub(v, hidden) for f, v in answer.items()} if hidden else answer
    return Diagnosis(choice, answer, used, summarise_agent(code), prompt.shown)


def _ask(socket: Path, token: str, model: str, prompt: str, fields: tuple[str, ...],
         attempts: int) -> tuple[dict[str, str], int]:
    """The model's parsed answer and the attempts it took; a bad answer is sent back with what was wrong."""
    messages: list[dict[str, str]] = [{"role": "user", "content": prompt}]
    transport = httpx.HTTPTransport(uds=str(socket), verify=False)
    client = openai.OpenAI(base_url="http://gateway/v1", api_key=token, max_retries=2,
                           http_client=httpx.Client(transport=transport, timeout=600))
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
                return parse_answer(text, fields), attempt
            except ValueError as exc:
                problem = str(exc)
                messages += [{"role": "assistant", "content": text or "(empty)"},
                             {"role": "user", "content": f"That could not be used: {problem}. Answer again with "
                                                         f"only the JSON object with the fields {', '.join(fields)}."}]
    raise DiagnosisFailed(f"no usable diagnosis after {attempts} attempts: {problem}")
