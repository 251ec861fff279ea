"""The model client: one OpenAI chat-completions request per turn, through the gateway's unix socket.

Transient failures (connection errors, timeouts, 408/409/429 and 5xx) are retried with exponential backoff
within the run's deadline; other refusals (e.g. 402: the budget is spent) end the run at once. A reply without
choices is retried once. Replies are turned into plain dicts that every OpenAI-compatible server accepts back:
assistant messages always carry a string `content` (llama.cpp's server rejects a null one next to tool_calls).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

try:  # openai < 2 uses httpx; newer releases use httpx2 (and accept either client)
    import httpx
except ImportError:  # pragma: no cover - depends on the installed openai
    import httpx2 as httpx

_CONTEXT_ERRORS = ("context length", "context_length", "maximum context", "context window", "too many tokens",
                   "exceeds the available context", "prompt is too long", "reduce the length")


class ModelError(Exception):
    """The model endpoint is unusable: unreachable after retries, or it refused the request."""


class ContextOverflow(Exception):
    """The server says the conversation does not fit in the model's context window."""


@dataclass
class Reply:
    message: dict  # the assistant message, ready to append to the conversation
    finish_reason: str | None
    usage: dict | None

    @property
    def tool_calls(self) -> list[dict]:
        return self.message.get("tool_calls", [])


class Model:
    def __init__(self, name: str, base_url: str, api_key: str, socket: str | None = None, retries: int = 6,
                 retry_delay: float = 2.0, on_retry: Callable[..., None] | None = None) -> None:
        self.name = name
        self.retries = retries
        self.retry_delay = retry_delay
        self._on_retry = on_retry or (lambda **_: None)
        transport = httpx.HTTPTransport(uds=socket) if socket else httpx.HTTPTransport()
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0,
                                     http_client=httpx.Client(transport=transport))

    def complete(self, messages: list[dict], tools: list[dict], deadline: float) -> Reply:
        failures = empty = 0
        while True:
            timeout, asked_wait = deadline - time.monotonic(), 0.0
            if timeout <= 0:
                raise ModelError("no time left for a model request")
            try:
                response = self._client.chat.completions.create(
                    model=self.name, messages=messages, tools=tools, timeout=timeout)
            except openai.APIStatusError as error:
                detail = _describe(error)
                if any(phrase in detail.lower() for phrase in _CONTEXT_ERRORS):
                    raise ContextOverflow(detail) from None
                if error.status_code not in (408, 409, 429) and error.status_code < 500:
                    raise ModelError(detail) from None
                asked_wait = _retry_after(error.response)
            except openai.APIConnectionError as error:
                detail = f"{type(error).__name__}: {error} ({error.__cause__ or 'no cause'})"
            except openai.APIError as error:  # e.g. a body that is not an OpenAI response
                raise ModelError(f"{type(error).__name__}: {error}") from None
            else:
                if getattr(response, "choices", None):
                    return _reply(response)
                if empty:
                    raise ModelError("the model returned a reply with no choices twice")
                empty += 1
                continue
            failures += 1
            delay = min(60.0, max(asked_wait, self.retry_delay * 2 ** (failures - 1)))
            if failures > self.retries or time.monotonic() + delay >= deadline:
                raise ModelError(f"gave up after {failures} failed attempts; last error: {detail}")
            self._on_retry(attempt=failures, error=detail, delay=delay)
            time.sleep(delay)


def _describe(error: openai.APIStatusError) -> str:
    body = error.body if error.body is not None else error.message
    return f"HTTP {error.status_code}: {json.dumps(body) if not isinstance(body, str) else body}"[:2000]


def _retry_after(response: Any) -> float:
    """The server's Retry-After in seconds (0 when absent or not a number of seconds)."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except (ValueError, AttributeError):
        return 0.0


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
