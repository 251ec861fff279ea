"""The agent loop: ask the model, run the tools it calls, repeat until it answers without a tool call.

Every way out is an `End` with a reason (done, turn_limit, time_limit, context_overflow, model_error,
terminated, crash); `Agent.run` always writes the final `end` event, whatever happened.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from dgm_agent import context
from dgm_agent.log import RunLog, excerpt, fence
from dgm_agent.model import ContextOverflow, Model, ModelError, Reply
from dgm_agent.settings import Settings
from dgm_agent.tools.toolbox import Toolbox

PROMPTS = Path(__file__).parent / "prompts"
EXIT_CODES = {"done": 0, "turn_limit": 0, "time_limit": 0, "context_overflow": 0, "terminated": 0,
              "model_error": 3, "crash": 1}


class Terminated(Exception):
    """The harness asked us to stop (SIGTERM)."""


@dataclass
class End:
    reason: str
    detail: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.reason]


def render_prompt(name: str, **values: object) -> str:
    text = (PROMPTS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text


class Agent:
    def __init__(self, settings: Settings, model: Model, toolbox: Toolbox, log: RunLog) -> None:
        self.settings, self.model, self.toolbox, self.log = settings, model, toolbox, log
        self.deadline = time.monotonic() + settings.time_limit - settings.safety_margin
        self.turns = 0
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        task = render_prompt("task.md", problem=settings.problem.strip(), cwd=Path.cwd(),
                             max_turns=settings.max_turns, minutes=round(settings.time_limit / 60, 1))
        self.messages = [{"role": "system", "content": render_prompt("system.md")},
                         {"role": "user", "content": task}]

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self) -> End:
        self.log.event("start", model=self.settings.model, max_turns=self.settings.max_turns,
                       time_limit=self.settings.time_limit, context_tokens=self.settings.context_tokens,
                       cwd=str(Path.cwd()))
        self.log.write(f"# Agent run\n\nModel `{self.settings.model}`, up to {self.settings.max_turns} turns.\n")
        self.log.write(f"## Task\n\n{self.messages[1]['content']}\n")
        started = time.monotonic()
        try:
            end = self._loop()
        except Terminated:
            end = End("terminated", "SIGTERM received")
        except Exception as error:  # a bug must still leave a complete log
            end = End("crash", f"{type(error).__name__}: {error}")
            self.log.event("traceback", text=traceback.format_exc())
        self.log.event("end", reason=end.reason, detail=end.detail, turns=self.turns,
                       duration=round(time.monotonic() - started, 3), usage=self.usage,
                       exit_code=end.exit_code)
        self.log.write(f"## End: {end.reason}\n\n{end.detail}\n\n{self.turns} turns, usage {self.usage}\n")
        return end

    def _loop(self) -> End:
        while True:
            if self.turns >= self.settings.max_turns:
                return End("turn_limit", f"reached the turn cap of {self.settings.max_turns}")
            if self.time_left() <= 0:
                return End("time_limit", "the time limit (minus a safety margin) is reached")
            self._fit(self.settings.context_tokens, keep_turns=2, why="budget")
            try:
                reply = self._ask()
            except ContextOverflow as error:
                if not self._fit(context.estimate_tokens(self.messages) // 2, keep_turns=1, why=str(error)):
                    return End("context_overflow", f"nothing left to elide: {error}")
                continue
            except ModelError as error:
                if self.time_left() <= 0:
                    return End("time_limit", f"the time limit is reached ({error})")
                return End("model_error", str(error))
            self.turns += 1
            self.messages.append(reply.message)
            if not reply.tool_calls:
                if reply.finish_reason != "length":
                    return End("done", excerpt(reply.message["content"], 2000))
                self.messages.append({"role": "user", "content": "Your reply was cut off by the length limit. "
                                      "Continue, in shorter steps."})
                continue
            for call in reply.tool_calls:
                self._run_tool(call)
            self._warn_if_near_the_end()

    def _ask(self) -> Reply:
        estimate = context.estimate_tokens(self.messages)
        self.log.event("model_request", turn=self.turns + 1, messages=len(self.messages), est_tokens=estimate)
        started = time.monotonic()
        reply = self.model.complete(self.messages, self.toolbox.schemas, self.deadline)
        for key in self.usage:
            self.usage[key] += int((reply.usage or {}).get(key) or 0)
        calls = [c["function"]["name"] for c in reply.tool_calls]
        self.log.event("model_response", turn=self.turns + 1, duration=round(time.monotonic() - started, 3),
                       finish_reason=reply.finish_reason, usage=reply.usage, tool_calls=calls,
                       content=excerpt(reply.message["content"], 2000))
        self.log.write(f"## Turn {self.turns + 1}\n\n{reply.message['content'] or '(no text)'}\n")
        return reply

    def _run_tool(self, call: dict) -> None:
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        started = time.monotonic()
        result = self.toolbox.call(name, arguments, self.time_left())
        self.messages.append({"role": "tool", "tool_call_id": call["id"], "content": result.text})
        self.log.event("tool", turn=self.turns, name=name, args=_loggable(arguments), ok=result.ok,
                       exit_code=result.exit_code, duration=round(time.monotonic() - started, 3),
                       result=excerpt(result.text, 2000))
        self.log.write(f"**{name}**\n\n{fence(excerpt(arguments, 4000), 'json')}\n{fence(result.text)}")

    def _fit(self, target_tokens: int, keep_turns: int, why: str) -> bool:
        before = context.estimate_tokens(self.messages)
        if before <= target_tokens:
            return False
        removed = context.elide(self.messages, target_tokens, keep_turns)
        if removed:
            self.log.event("elide", reason=why, est_tokens_before=before,
                           est_tokens_after=context.estimate_tokens(self.messages), chars_removed=removed)
            # in the transcript too: gitdgm's diagnosis reads only the transcript, and must see context trouble
            cause = ("to stay within the context budget" if why == "budget"
                     else f"after the model said: {excerpt(why, 500)}")
            self.log.write(f"_[context: {removed} chars of older tool output elided {cause}]_\n")
        return removed > 0

    def _warn_if_near_the_end(self) -> None:
        turns_left = self.settings.max_turns - self.turns
        seconds_left = self.time_left()
        if turns_left <= 3 or seconds_left <= 0.15 * self.settings.time_limit:
            self.messages[-1]["content"] += (f"\n\n[Note: {turns_left} turns and {max(0, int(seconds_left))} s "
                                             "left. Finish your change now.]")


def _loggable(arguments: str) -> object:
    """The arguments as JSON for the log, long strings cut (a created file's text can be large)."""
    try:
        parsed = json.loads(arguments)
    except (json.JSONDecodeError, TypeError):
        return excerpt(str(arguments), 4000)
    if isinstance(parsed, dict):
        return {k: excerpt(v, 4000) if isinstance(v, str) else v for k, v in parsed.items()}
    return parsed
