"""Parsing, validation and replies of the scripted upstream's script (format: see fake.py).

Pure functions of the script and the request, so the server stays stateless per
conversation; the only state (how often an error turn has answered) lives in the server.
The ``[server]`` table's quirks (``Server``) are the ways real servers differ that gitdgm must cope with.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitdgm.errors import ConfigError
from gitdgm.gateway.tokens import estimate_tokens
from gitdgm.gateway.upstream import error_object

DONE = "Done."
NO_TOOLS_TEXT = "I would run a command."  # what a tools_need_choice server says when it may not call the tool
_TURN_KEYS = {"content", "tool_calls", "status", "times", "delay", "usage", "retry_after"}
_SERVER_FLAGS = ("list_window", "stream_usage", "tools_need_choice")
_SERVER_KEYS = {"models", "context_window", "tool_choice_required", *_SERVER_FLAGS}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # the JSON text sent to the client, valid or (with arguments_raw) not


@dataclass(frozen=True)
class Turn:
    content: str | None = DONE
    tool_calls: tuple[ToolCall, ...] = ()
    status: int | None = None
    times: int | None = None  # None: the status is answered every time
    delay: float = 0.0
    retry_after: float | None = None
    usage: tuple[int, int] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    match: tuple[tuple[str, re.Pattern[str]], ...]
    turns: tuple[Turn, ...]

    def matches(self, messages: list[Any]) -> bool:
        return all(_matches(kind, pattern, messages) for kind, pattern in self.match)

    def turn(self, index: int) -> Turn:
        return self.turns[index] if index < len(self.turns) else Turn()


@dataclass(frozen=True)
class Server:
    """The real server the fake imitates (the ``[server]`` table): what it lists, and what it refuses or drops."""

    models: tuple[str, ...] = ("scripted",)
    context_window: int = 0  # 0: no limit
    list_window: bool = True
    stream_usage: bool = True
    tool_choice_required: str = "ok"
    tools_need_choice: bool = False

    def listing(self) -> dict[str, Any]:
        """The ``GET /models`` reply; with a window, each model states it as vLLM does (``max_model_len``)."""
        stated = {"max_model_len": self.context_window} if self.context_window and self.list_window else {}
        return {
            "object": "list",
            "data": [
                {"id": name, "object": "model", "created": 0, "owned_by": "gitdgm"} | stated for name in self.models
            ],
        }

    def refusal(self, request: Mapping[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """(status, error object) for a request this server refuses before generating, else None."""
        if self.tool_choice_required == "error" and request.get("tool_choice") == "required":
            return 500, error_object("scripted upstream: tool_choice 'required' is not supported", "server_error")
        if not self.context_window:
            return None
        requested = estimate_tokens(json.dumps(request.get("messages"))) + (reply_cap(request) or 0)
        if requested <= self.context_window:
            return None
        message = f"Requested tokens ({requested}) exceed context window of {self.context_window}"  # llama-cpp-python
        return 400, error_object(message, "invalid_request_error", "context_length_exceeded")

    def shaped(self, turn: Turn, request: Mapping[str, Any]) -> Turn:
        """``turn`` as this server gives it: a tools_need_choice server calls tools only when asked to choose."""
        if not self.tools_need_choice or not turn.tool_calls or request.get("tool_choice") in ("auto", "required"):
            return turn
        return dataclasses.replace(turn, content=turn.content or NO_TOOLS_TEXT, tool_calls=())


@dataclass(frozen=True)
class Script:
    source: str
    scenarios: tuple[Scenario, ...]
    default: Scenario | None
    server: Server = Server()

    def choose(self, messages: list[Any]) -> Scenario | None:
        """The first scenario whose regexes all match, else the default (None if there is none)."""
        return next((s for s in self.scenarios if s.matches(messages)), self.default)


def text_of(message: Any) -> str:
    """A message's text, whether its content is a string, null or a list of parts."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _matches(kind: str, pattern: re.Pattern[str], messages: list[Any]) -> bool:
    if kind == "any":
        return any(pattern.search(text_of(m)) for m in messages)
    role = {"user": "user", "system": "system"}[kind]
    first = next((m for m in messages if isinstance(m, dict) and m.get("role") == role), None)
    return first is not None and pattern.search(text_of(first)) is not None


def reply_cap(request: Mapping[str, Any]) -> int | None:
    """The most tokens the request lets a reply have (``max_completion_tokens``, else ``max_tokens``), or None."""
    caps = [request.get(key) for key in ("max_completion_tokens", "max_tokens")]
    return next((cap for cap in caps if type(cap) is int and cap > 0), None)


def reply_body(turn: Turn, request: Mapping[str, Any], turn_index: int) -> dict[str, Any]:
    """A chat.completion object answering ``request`` with ``turn``; usage is always present. Content longer than
    the request's cap allows (about 4 characters a token) is cut there, with finish_reason "length"."""
    messages = request.get("messages") or []
    cap = reply_cap(request) or 0
    cut = bool(cap) and len(turn.content or "") > cap * 4
    message: dict[str, Any] = {"role": "assistant", "content": (turn.content or "")[: cap * 4] if cut else turn.content}
    if turn.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{turn_index}_{i}", "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(turn.tool_calls)
        ]
    if turn.usage:
        prompt, completion = turn.usage
    else:
        prompt = math.ceil(len(json.dumps(messages)) / 4)
        completion = max(1, math.ceil(len((turn.content or "") + "".join(c.arguments for c in turn.tool_calls)) / 4))
    finish = "length" if cut else "tool_calls" if turn.tool_calls else "stop"
    completion = cap if cut else completion
    return {
        "id": f"chatcmpl-scripted-{turn_index}",
        "object": "chat.completion",
        "created": 0,
        "model": str(request.get("model") or "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def stream_body(body: Mapping[str, Any], include_usage: bool) -> bytes:
    """The same reply as server-sent events, in pieces, the way OpenAI streams it."""
    base = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"], "model": body["model"]}
    choice = body["choices"][0]
    message, half = choice["message"], len(choice["message"]["content"] or "") // 2
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    if message["content"]:
        deltas += [{"content": message["content"][:half]}, {"content": message["content"][half:]}]
    for i, call in enumerate(message.get("tool_calls", [])):
        head = {
            "index": i,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        deltas += [
            {"tool_calls": [head]},
            {"tool_calls": [{"index": i, "function": {"arguments": call["function"]["arguments"]}}]},
        ]
    events = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    events.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    if include_usage:
        events.append(base | {"choices": [], "usage": body["usage"]})
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


# -- loading and validation -------------------------------------------------------------------
def load_script(script: str | Path | Mapping[str, Any]) -> Script:
    """Read a script from a TOML file or an already-parsed dict; ConfigError names what is wrong."""
    if isinstance(script, Mapping):
        return _parse(dict(script), "<script>")
    path = Path(script)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the script ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    return _parse(data, str(path))


def _parse(data: dict[str, Any], source: str) -> Script:
    def fail(where: str, what: str) -> ConfigError:
        return ConfigError(f"{source}: {where}: {what}")

    if data.get("schema") != 1:
        raise fail("schema", "must be 1 (add 'schema = 1' at the top)")
    unknown = set(data) - {"schema", "scenario", "default", "server"}
    if unknown:
        raise fail(", ".join(sorted(unknown)), "unknown top-level key (expected scenario, default, server)")
    raw_scenarios = data.get("scenario", [])
    if not isinstance(raw_scenarios, list):
        raise fail("scenario", "must be an array of tables ([[scenario]])")
    scenarios = []
    for i, raw in enumerate(raw_scenarios):
        where = f"scenario {raw.get('name', i)!r}" if isinstance(raw, dict) else f"scenario {i}"
        scenarios.append(_scenario(raw, where, fail))
    default = None
    if "default" in data:
        default = Scenario("default", (), (_turn(data["default"], "default", fail),))
    return Script(source, tuple(scenarios), default, _server(data.get("server", {}), fail))


def _server(raw: Any, fail: Any) -> Server:
    if not isinstance(raw, dict):
        raise fail("server", "must be a table ([server])")
    unknown = set(raw) - _SERVER_KEYS
    if unknown:
        raise fail("server", f"unknown field(s) {sorted(unknown)} (expected {', '.join(sorted(_SERVER_KEYS))})")
    models = raw.get("models", list(Server.models))
    if not (isinstance(models, list) and models and all(isinstance(m, str) and m for m in models)):
        raise fail("server", "field 'models' must be a non-empty array of names")
    window = raw.get("context_window")
    if window is not None and not (type(window) is int and window > 0):
        raise fail("server", "field 'context_window' must be a positive number of tokens")
    for flag in _SERVER_FLAGS:
        if not isinstance(raw.get(flag, False), bool):
            raise fail("server", f"field '{flag}' must be true or false")
    if raw.get("tool_choice_required", "ok") not in ("ok", "error"):
        raise fail("server", 'field \'tool_choice_required\' must be "ok" or "error"')
    return Server(
        tuple(models),
        window or 0,
        **{flag: raw[flag] for flag in _SERVER_FLAGS if flag in raw},
        tool_choice_required=raw.get("tool_choice_required", "ok"),
    )


def _scenario(raw: Any, where: str, fail: Any) -> Scenario:
    if not isinstance(raw, dict):
        raise fail(where, "must be a table")
    if not isinstance(raw.get("name"), str):
        raise fail(where, "field 'name' must be a string")
    unknown = set(raw) - {"name", "match", "turns"}
    if unknown:
        raise fail(where, f"unknown field(s) {sorted(unknown)} (expected name, match, turns)")
    match = raw.get("match", {})
    if not isinstance(match, dict) or set(match) - {"user", "system", "any"}:
        raise fail(where, "field 'match' must be a table with keys user, system, any")
    patterns = []
    for kind, regex in match.items():
        try:
            patterns.append((kind, re.compile(regex)))
        except (re.error, TypeError) as exc:
            raise fail(where, f"match.{kind} is not a valid regex ({exc})") from None
    turns = raw.get("turns", [])
    if not isinstance(turns, list):
        raise fail(where, "field 'turns' must be an array of tables ([[scenario.turns]])")
    return Scenario(
        raw["name"], tuple(patterns), tuple(_turn(t, f"{where} turn {n}", fail) for n, t in enumerate(turns))
    )


def _turn(raw: Any, where: str, fail: Any) -> Turn:
    if not isinstance(raw, dict):
        raise fail(where, "must be a table")
    unknown = set(raw) - _TURN_KEYS
    if unknown:
        raise fail(where, f"unknown field(s) {sorted(unknown)} (expected {', '.join(sorted(_TURN_KEYS))})")
    content = raw.get("content")
    if content is not None and not isinstance(content, str):
        raise fail(where, "field 'content' must be a string")
    status = raw.get("status")
    if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
        raise fail(where, "field 'status' must be an HTTP error status (400-599)")
    times = raw.get("times")
    if times is not None and not (isinstance(times, int) and times >= 1 and status is not None):
        raise fail(where, "field 'times' must be a positive integer, given with 'status'")
    for key in ("delay", "retry_after"):
        if not isinstance(raw.get(key, 0), (int, float)) or raw.get(key, 0) < 0:
            raise fail(where, f"field '{key}' must be a number of seconds >= 0")
    usage = raw.get("usage")
    if usage is not None:
        if not (
            isinstance(usage, dict)
            and all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens"))
        ):
            raise fail(where, "field 'usage' must be {prompt_tokens = N, completion_tokens = N}")
        usage = (usage["prompt_tokens"], usage["completion_tokens"])
    calls = raw.get("tool_calls", [])
    if not isinstance(calls, list):
        raise fail(where, "field 'tool_calls' must be an array")
    tool_calls = tuple(_tool_call(c, f"{where} tool_calls[{i}]", fail) for i, c in enumerate(calls))
    if content is None and not tool_calls and status is None:
        raise fail(where, "needs 'content', 'tool_calls' or 'status'")
    if content is None and not tool_calls:
        content = DONE  # an error-only turn answers like the end of the script once its errors are spent
    return Turn(content, tool_calls, status, times, float(raw.get("delay", 0)), raw.get("retry_after"), usage)


def _tool_call(raw: Any, where: str, fail: Any) -> ToolCall:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise fail(where, "must be a table with a string 'name'")
    unknown = set(raw) - {"name", "arguments", "arguments_raw"}
    if unknown:
        raise fail(where, f"unknown field(s) {sorted(unknown)} (expected name, arguments, arguments_raw)")
    if "arguments_raw" in raw:
        if "arguments" in raw or not isinstance(raw["arguments_raw"], str):
            raise fail(where, "'arguments_raw' must be a string, and not given with 'arguments'")
        return ToolCall(raw["name"], raw["arguments_raw"])
    arguments = raw.get("arguments", {})
    if not isinstance(arguments, dict):
        raise fail(where, "field 'arguments' must be a table")
    return ToolCall(raw["name"], json.dumps(arguments))
