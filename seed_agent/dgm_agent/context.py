"""Keeping the conversation inside the model's context window.

The size is estimated as characters / 3: code and JSON tokenise nearer 3 characters a token than English's 4,
and overshooting a small window costs a refused request. When it is over budget (or the server says the context
is exceeded), the oldest tool outputs, then the oldest long tool calls, are replaced by a short marker, in
either tool protocol (results in role "tool" or "Result of" user messages, calls in `tool_calls` or fenced
blocks). The system and task messages and the latest turns are never touched, so the model keeps its
instructions and its current work.
"""

from __future__ import annotations

import json
import re

from dgm_agent.protocol import BLOCK, RESULT_PREFIX

MARKER = "[output elided: {} chars]"


def estimate_tokens(messages: list[dict]) -> int:
    return sum(len(json.dumps(m, ensure_ascii=False)) for m in messages) // 3


def elide(messages: list[dict], target_tokens: int, keep_turns: int = 2) -> int:
    """Shrink `messages` in place until the estimate is <= `target_tokens`; returns the chars removed."""
    protected = _start_of_last_turns(messages, keep_turns)
    removed = 0
    for kind in ("output", "call"):
        for message in messages[2:protected]:
            if estimate_tokens(messages) <= target_tokens:
                return removed
            removed += _shrink(message, kind)
    return removed


def _start_of_last_turns(messages: list[dict], keep_turns: int) -> int:
    """Index of the assistant message that opens the `keep_turns`-th last turn (never before index 2)."""
    assistants = [i for i, m in enumerate(messages) if m.get("role") == "assistant" and i >= 2]
    return assistants[-keep_turns] if len(assistants) >= keep_turns else (assistants[0] if assistants else 2)


def _shrink(message: dict, kind: str) -> int:
    content = message.get("content") or ""
    is_result = message["role"] == "tool" or (message["role"] == "user" and content.startswith(RESULT_PREFIX))
    if kind == "output" and is_result:
        if len(content) > 100:
            message["content"] = MARKER.format(len(content))
            return len(content) - len(message["content"])
    if kind == "call" and message["role"] == "assistant":
        removed = 0
        for call in message.get("tool_calls") or []:
            arguments = call["function"]["arguments"]
            if len(arguments) > 300:
                call["function"]["arguments"] = json.dumps({"elided": MARKER.format(len(arguments))})
                removed += len(arguments) - len(call["function"]["arguments"])
        message["content"] = BLOCK.sub(_elide_block, content)
        return removed + len(content) - len(message["content"])
    return 0


def _elide_block(block: re.Match) -> str:
    text = block.group(0)
    return f"[tool call elided: {len(text)} chars]" if len(text) > 300 else text
