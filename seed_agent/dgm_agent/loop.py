"""The agent loop: ask the model, run the tools it calls, repeat until it answers without a tool call.

Every way out is an `End` with a reason (done, turn_limit, time_limit, context_overflow, model_error,
terminated, crash); `Agent.run` always writes the final `end` event, whatever happened. With
GITDGM_TOOL_PROTOCOL=auto the run starts with native tool calls and moves to the text protocol for good when the
model or server shows that it needs it: the model writes fenced tool blocks instead, or its first reply calls no
tool at all (then it is asked once more, with the text protocol explained), or the server refuses `tools`.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from dgm_agent import context
from dgm_agent.log import RunLog, excerpt, fence
from dgm_agent.model import ContextOverflow, Model, ModelError, Reply, ToolsRefused
from dgm_agent.protocol import Call, NativeProtocol, TextProtocol, ToolProtocol, as_text, describe_tools, parse_calls
from dgm_agent.settings import Settings
from dgm_agent.tools.toolbox import Toolbox, ToolResult

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
        self.turns = self.tools_run = 0
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        self.window, self.max_tokens = settings.context_tokens, settings.max_tokens  # lowered if the server says
        self.may_switch = settings.tool_protocol == "auto"
        self.protocol: ToolProtocol = (self._text_protocol() if settings.tool_protocol == "text"
                                       else NativeProtocol(toolbox.schemas, settings.tool_choice))
        task = render_prompt("task.md", problem=settings.problem.strip(), cwd=Path.cwd(),
                             max_turns=settings.max_turns, minutes=round(settings.time_limit / 60, 1))
        system = "\n\n".join(filter(None, [render_prompt("system.md"), self.protocol.instructions]))
        self.messages = [{"role": "system", "content": system}, {"role": "user", "content": task}]

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self) -> End:
        s = self.settings
        self.log.event("start", model=s.model, max_turns=s.max_turns, time_limit=s.time_limit,
                       context_tokens=s.context_tokens, max_tokens=s.max_tokens, temperature=s.temperature,
                       tool_choice=s.tool_choice, tool_protocol=s.tool_protocol, cwd=str(Path.cwd()))
        self.log.event("protocol", name=self.protocol.name, reason=f"GITDGM_TOOL_PROTOCOL={s.tool_protocol}")
        self.log.write(f"# Agent run\n\nModel `{s.model}`, up to {s.max_turns} turns, tool protocol "
                       f"`{self.protocol.name}` (GITDGM_TOOL_PROTOCOL={s.tool_protocol}).\n")
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
            self._fit(self.window - self.max_tokens, keep_turns=2, why="budget")
            try:
                reply, calls = self._ask()
            except ContextOverflow as error:
                lowered = self._adopt_window(error.window)
                target = self.window - self.max_tokens if lowered else context.estimate_tokens(self.messages) // 2
                if not self._fit(target, keep_turns=1, why=str(error)) and not lowered:
                    return End("context_overflow", f"nothing left to elide: {error}")
                continue
            except ModelError as error:
                if isinstance(error, ToolsRefused) and self.may_switch:
                    self._switch(f"the server refused native tool calls: {excerpt(str(error), 300)}")
                    self.messages[0]["content"] += "\n\n" + self.protocol.instructions
                    continue
                if self.time_left() <= 0:
                    return End("time_limit", f"the time limit is reached ({error})")
                return End("model_error", str(error))
            if not calls:
                if reply.finish_reason == "length":
                    self.messages.append({"role": "user", "content": "Your reply was cut off by the length "
                                          "limit. Continue, in shorter steps."})
                    continue
                if self.may_switch and not self.tools_run:
                    self._switch("the model's first reply called no tool")
                    self.messages.append({"role": "user", "content": "Your reply called no tool, so nothing is "
                                          "done yet. Call tools as follows, and go on with the task.\n\n"
                                          + self.protocol.instructions})
                    continue
                return End("done", excerpt(reply.message["content"], 2000))
            texts = [self._run_tool(call) for call in calls]
            self.messages += self.protocol.results(calls, texts)
            self._warn_if_near_the_end()

    def _ask(self) -> tuple[Reply, list[Call]]:
        """One request; its reply joins the conversation and is returned with the tool calls it holds."""
        estimate = context.estimate_tokens(self.messages)
        self.log.event("model_request", turn=self.turns + 1, messages=len(self.messages), est_tokens=estimate)
        started = time.monotonic()
        reply = self.model.complete(self.messages, self.deadline, **self._request())
        for key in self.usage:
            self.usage[key] += int((reply.usage or {}).get(key) or 0)
        self.turns += 1
        self.messages.append(reply.message)
        self.log.write(f"## Turn {self.turns}\n\n{reply.message['content'] or '(no text)'}\n")
        calls = self.protocol.calls(reply.message)
        if not calls and self.may_switch:
            calls = parse_calls(reply.message["content"])
            if calls:
                self._switch("the model wrote its tool calls as fenced blocks")
        self.log.event("model_response", turn=self.turns, duration=round(time.monotonic() - started, 3),
                       finish_reason=reply.finish_reason, usage=reply.usage, tool_calls=[c.name for c in calls],
                       content=excerpt(reply.message["content"], 2000))
        return reply, calls

    def _request(self) -> dict:
        request = dict(self.protocol.request)
        if self.max_tokens:
            request["max_tokens"] = self.max_tokens
        if self.settings.temperature is not None:
            request["temperature"] = self.settings.temperature
        return request

    def _text_protocol(self) -> TextProtocol:
        return TextProtocol(render_prompt("text_tools.md", tools=describe_tools(self.toolbox.schemas)))

    def _switch(self, why: str) -> None:
        """Move to the text protocol for the rest of the run; the conversation so far is rewritten in its form."""
        self.protocol, self.may_switch = self._text_protocol(), False
        self.messages = as_text(self.messages)
        self.log.event("protocol", name="text", reason=why)
        # in the transcript too: gitdgm's diagnosis reads only the transcript
        self.log.write(f"_[tool protocol: switched from native to text: {why}]_\n")

    def _run_tool(self, call: Call) -> str:
        started = time.monotonic()
        result = (ToolResult(f"Error: {call.error}", False) if call.error
                  else self.toolbox.call(call.name, call.arguments, self.time_left()))
        self.tools_run += 1
        self.log.event("tool", turn=self.turns, name=call.name, args=_loggable(call.arguments), ok=result.ok,
                       exit_code=result.exit_code, duration=round(time.monotonic() - started, 3),
                       result=excerpt(result.text, 2000))
        self.log.write(f"**{call.name}**\n\n{fence(excerpt(call.arguments, 4000), 'json')}\n{fence(result.text)}")
        return result.text

    def _adopt_window(self, window: int | None) -> bool:
        """Take the window a server's refusal stated (never above ours) and keep max_tokens to at most half of
        it; True when that changed anything."""
        if window is None:
            return False
        window = min(window, self.window)
        max_tokens = min(self.max_tokens, window // 2)
        if (window, max_tokens) == (self.window, self.max_tokens):
            return False
        self.window, self.max_tokens = window, max_tokens
        self.log.event("context_window", window=window, max_tokens=max_tokens)
        self.log.write(f"_[context: the server's window is {window} tokens; max_tokens now "
                       f"{max_tokens or 'not sent'}]_\n")
        return True

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
