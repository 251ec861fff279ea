"""Diagnosis: the FM reads a parent's real code and its evaluation logs and proposes one improvement to itself.

The entry (what part of the evaluation to study) is drawn by the DGM's rule (``choice``); the prompt shows the
agent's summary, its code by relevance (``code``) and the entry's focus (``prompt``). The answer is JSON with the
DGM's fields; fences and chatter around it are tolerated, a bad answer is retried with the parse error, and after
the configured attempts the diagnosis gives up cleanly (no child is made). The choice, its probabilities and what
the prompt showed go into the child's note (``Diagnosis.note``).

The model is called as the diagnosis role is configured (``RoleConfig``: its name, reply cap, temperature, context
window and timeout), and the prompt is built to fit that window (``budget``). The client never retries: the
gateway is the one place that retries transient failures. A server that refuses the prompt as over a window it
states gets the prompt rebuilt once for that window; that adapts the prompt rather than repeating the call. A reply
cut at the length limit is asked again more briefly.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import openai

from gitdgm.archive.record import Record
from gitdgm.bundled import TEMPLATES
from gitdgm.config import RoleConfig
from gitdgm.engine.diagnose.budget import DiagnosisFailed, PromptBudget, clip
from gitdgm.engine.diagnose.choice import CONTEXT_PHRASES, Choice, choose_entry
from gitdgm.engine.diagnose.code import agent_code, summarise_agent
from gitdgm.engine.diagnose.prompt import FIELD_TEXT, Prompt, build_prompt, hidden_tests, scrub
from gitdgm.errors import BudgetExceeded
from gitdgm.gateway.tokens import estimate_tokens, stated_window
from gitdgm.suites import Suite

__all__ = ["Diagnosis", "DiagnosisFailed", "PromptBudget", "agent_code", "choose_entry", "diagnose", "parse_answer"]
FIELDS = tuple(FIELD_TEXT)
#: seconds the client waits beyond the role's request_timeout, so that the gateway, which holds the call's time
#: limit, always times the call out first and answers with an error the client can read
CLIENT_GRACE = 30.0
#: tokens a chat message costs beyond its text (role markers), for the retry's room
MESSAGE_TOKENS = 8


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
    candidate = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
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


def diagnose(
    *,
    socket: Path,
    token: str,
    role: RoleConfig,
    code: dict[str, str],
    record: Record,
    logs: dict[str, Any],
    rng: random.Random,
    attempts: int,
    suite: Suite | None = None,
) -> Diagnosis:
    """Draw the entry, show it to the model within ``role``'s context window and read its proposal."""
    choice = choose_entry(record, logs, rng)
    task = next((t for t in suite.tasks if t.id == choice.task), None) if suite else None
    hidden = hidden_tests(task) if task and choice.kind in ("failed_task", "stochasticity") else ""

    def build(budget: PromptBudget) -> Prompt:
        return build_prompt(choice, record, logs, code, hidden, budget)

    answer, used, prompt = _ask(socket, token, role, build, attempts)
    answer = {f: scrub(v, hidden) for f, v in answer.items()} if hidden else answer
    return Diagnosis(choice, answer, used, summarise_agent(code), prompt.shown)


def _ask(
    socket: Path, token: str, role: RoleConfig, build: Callable[[PromptBudget], Prompt], attempts: int
) -> tuple[dict[str, str], int, Prompt]:
    """The model's parsed answer, the attempts it took and the prompt it answered; a bad answer is sent back with
    what was wrong. A refusal that states the model's window gets the prompt rebuilt for it, once: for the stated
    window when it is smaller than the one assumed, else (the model's tokens are smaller than the estimate's) for
    three quarters of the one assumed. That is no retry of the same call and counts as no attempt."""
    budget = PromptBudget(role.context_window or PromptBudget().window, role.max_tokens)
    prompt = build(budget)
    messages: list[dict[str, str]] = [{"role": "user", "content": prompt.text}]
    timeout = role.request_timeout + CLIENT_GRACE
    transport = httpx.HTTPTransport(uds=str(socket), verify=False)
    # an httpx client, for its unix-socket transport; openai types ``http_client`` as the client of the HTTP library
    # it is built on (httpx in older releases, httpx2 in newer ones), so the check is left out rather than pinned
    http_client = cast(Any, httpx.Client(transport=transport, timeout=timeout))
    client = openai.OpenAI(
        base_url="http://gateway/v1", api_key=token, max_retries=0, timeout=timeout, http_client=http_client
    )
    problem, attempt, adapted = "no answer", 0, False
    with client:
        while attempt < attempts:
            options: dict[str, Any] = {"max_tokens": budget.max_tokens} if budget.max_tokens else {}
            if role.temperature is not None:
                options["temperature"] = role.temperature
            try:
                reply = client.chat.completions.create(
                    model=role.name,
                    messages=messages,  # type: ignore[arg-type]
                    **options,
                )
            except openai.APIStatusError as exc:
                window = stated_window(exc.message) if exc.status_code == 400 else None
                if window and not adapted:  # not a retry: a different, smaller prompt
                    window = window if window < budget.window else budget.window * 3 // 4
                    budget, adapted = budget.shrunk(window), True
                    prompt = build(budget)
                    messages = [{"role": "user", "content": prompt.text}]
                    continue
                raise _failure(exc, budget) from None
            except openai.APIError as exc:
                raise DiagnosisFailed(f"the model could not be reached for diagnosis: {exc}") from None
            attempt += 1
            first = reply.choices[0] if reply.choices else None
            text = (first.message.content or "") if first else ""
            try:
                return parse_answer(text, prompt.fields), attempt, prompt
            except ValueError as exc:
                problem = str(exc)
                cut = first is not None and first.finish_reason == "length"
                messages = _again(prompt, budget, text, problem, cut)
    raise DiagnosisFailed(f"no usable diagnosis after {attempts} attempts: {problem}")


def _failure(exc: openai.APIStatusError, budget: PromptBudget) -> Exception:
    """What a refused call ends as: the budget spent, or a failed diagnosis (with the setting that may help)."""
    if exc.status_code == 402:
        return BudgetExceeded(f"budget exhausted during diagnosis: {exc.message}")
    hint = ""
    if exc.status_code == 400 and any(phrase in exc.message.lower() for phrase in CONTEXT_PHRASES):
        hint = (
            f" (the prompt was built for a context window of {budget.window} tokens: set [model.diagnosis] "
            "context_window to the model's)"
        )
    return DiagnosisFailed(f"the model failed during diagnosis: {exc.message}{hint}")


def _again(prompt: Prompt, budget: PromptBudget, text: str, problem: str, cut: bool) -> list[dict[str, str]]:
    """The conversation for the next attempt: the prompt, the unusable answer (clipped to the room the window
    leaves, as a cut answer would not fit beside a new one) and what was wrong with it."""
    limit = f"{budget.max_tokens} tokens" if budget.max_tokens else "the server's limit"
    brief = f" Your answer was cut off at the length limit ({limit}): answer more briefly." if cut else ""
    ask = (
        f"That could not be used: {problem}.{brief} Answer again with only the JSON object with the fields "
        f"{', '.join(prompt.fields)}."
    )
    room = budget.tokens - estimate_tokens(prompt.text) - estimate_tokens(ask) - 3 * MESSAGE_TOKENS
    said = clip(text, room)[0] if room >= 64 else ""
    said = said or ("(the answer, left out here to fit the context window)" if text.strip() else "(empty)")
    return [
        {"role": "user", "content": prompt.text},
        {"role": "assistant", "content": said},
        {"role": "user", "content": ask},
    ]
