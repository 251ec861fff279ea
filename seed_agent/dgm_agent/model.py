"""The model client: one OpenAI chat-completions request per turn, through the gateway's unix socket.

No retries here: gitdgm's gateway is the one place that retries transient failures (it answers the errors it
gives up on with `x-should-retry: false`), and retrying on top of it would multiply its attempts. So a failed
request, or a reply without choices, ends the run (`ModelError`). Two refusals are signals the loop can act
on: the conversation does not fit (`ContextOverflow`, with the window the server stated when it says one: the
loop shrinks the conversation), and the server cannot take `tools` (`ToolsRefused`: the loop may move to the
text tool protocol). Replies are turned into plain dicts that every
OpenAI-compatible server accepts back: assistant messages always carry a string `content` (llama.cpp's server
rejects a null one next to tool_calls).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import openai

try:  # openai < 2 uses httpx; newer releases use httpx2 (and accept either client)
    import httpx
except ImportError:  # pragma: no cover - depends on the installed openai
    import httpx2 as httpx

_CONTEXT_ERRORS = ("context length", "context_length", "maximum context", "context window", "too many tokens",
                   "exceeds the available context", "prompt is too long", "reduce the length")
# How servers state their window: OpenAI and vLLM "maximum context length is 8192 tokens", llama-cpp-python
# "exceed context window of 2048", llama.cpp's server "exceeds the available context size (2048 tokens)" with
# "n_ctx": 2048 in the error object.
_WINDOW = re.compile(r'(?:maximum context length is|context window of|available context size \(|"n_ctx":)\s*(\d+)',
                     re.IGNORECASE)
# How servers without native tool calls refuse `tools`: Ollama "... does not support tools" (400), llama.cpp's
# server "tools param requires --jinja flag" or "Unsupported param: tools" (500), vLLM "\"auto\" tool choice
# requires --enable-auto-tool-choice and --tool-call-parser to be set" (400).
_TOOLS_REFUSED = ("support tools", "tools param", "param: tools", "tool choice requires")


class ModelError(Exception):
    """The model endpoint is unusable: unreachable, or it refused the request."""


class ToolsRefused(ModelError):
    """The server refused the request because it cannot take `tools` (it has no native tool calls)."""


class ContextOverflow(Exception):
    """The server says the conversation does not fit in the model's context window."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.window = stated_window(detail)


def stated_window(detail: str) -> int | None:
    """The context window (tokens) that a server's overflow message states, or None when it states none."""
    match = _WINDOW.search(detail)
    return int(match.group(1)) if match else None


@dataclass
class Reply:
    message: dict  # the assistant message, ready to append to the conversation
    finish_reason: str | None
    usage: dict | None


class Model:
    def __init__(self, name: str, base_url: str, api_key: str, socket: str | None = None) -> None:
        self.name = name
        transport = httpx.HTTPTransport(uds=socket) if socket else httpx.HTTPTransport()
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0,
                                     http_client=httpx.Client(transport=transport))

    def complete(self, messages: list[dict], deadline: float, **request: Any) -> Reply:
        """One request; `request` adds its fields (tools, tool_choice, max_tokens, temperature)."""
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            raise ModelError("no time left for a model request")
        try:
            response = self._client.chat.completions.create(model=self.name, messages=messages, timeout=timeout,
                                                            **request)
        except openai.APIStatusError as error:
            detail = _describe(error)
            if any(phrase in detail.lower() for phrase in _CONTEXT_ERRORS):
                raise ContextOverflow(detail) from None
            if "tools" in request and any(phrase in detail.lower() for phrase in _TOOLS_REFUSED):
                raise ToolsRefused(detail) from None
            raise ModelError(detail) from None
        except openai.APIConnectionError as error:  # timeouts included
            raise ModelError(f"{type(error).__name__}: {error} ({error.__cause__ or 'no cause'})") from None
        except openai.APIError as error:  # e.g. a body that is not an OpenAI response
            raise ModelError(f"{type(error).__name__}: {error}") from None
        if not getattr(response, "choices", None):
            raise ModelError("the model returned a reply with no choices")
        return _reply(response)


def _describe(error: openai.APIStatusError) -> str:
    body = error.body if error.body is not None else error.message
    return f"HTTP {error.status_code}: {json.dumps(body) if not isinstance(body, str) else body}"[:2000]


def _reply(response: Any) -> Reply:
    choice = response.choices[0]
    calls = []
    for call in choice.message.tool_calls or []:
        function = call.function
        arguments = function.arguments if isinstance(function.arguments, str) else json.dumps(function.arguments)
        calls.append({"id": call.id or f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                      "function": {"name": function.name or "", "arguments": arguments or ""}})
    message: dict = {"role": "assistant", "content": choice.message.content or ""}
    if calls:
        message["tool_calls"] = calls
    usage = response.usage.model_dump(exclude_none=True) if getattr(response, "usage", None) else None
    return Reply(message, choice.finish_reason, usage)
