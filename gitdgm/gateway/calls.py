"""What the gateway does to one completion call of a run: its limits, its cap, its reservation, its estimate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gitdgm.gateway.accounting import Ledger
from gitdgm.gateway.tokens import estimate_tokens


@dataclass(frozen=True)
class CallLimits:
    """What the gateway applies to every call of one run (one role's settings): the most tokens a reply may have
    (0: as the caller asks) and the seconds a call may take, retries included (0: the gateway's default)."""

    max_tokens: int = 0
    timeout: float = 0.0


def capped(request: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """``request`` with its reply capped at ``max_tokens`` (0: as asked): added when it sets no cap, lowered when it
    asks for more, in the field it uses (``max_completion_tokens`` for the newer API, else ``max_tokens``)."""
    if not max_tokens:
        return request
    field = "max_completion_tokens" if "max_completion_tokens" in request else "max_tokens"
    asked = request.get(field)
    if type(asked) is int and 0 < asked <= max_tokens:
        return request
    return request | {field: max_tokens}


def estimated_usage(request: dict[str, Any], response: dict[str, Any]) -> dict[str, int]:
    """Tokens of a call whose server sent no usage, by size (tokens.py): the messages, and the reply's text and
    tool calls."""
    replies = [c.get("message") or {} for c in response.get("choices") or [] if isinstance(c, dict)]
    text = "".join(str(m.get("content") or "") + json.dumps(m.get("tool_calls") or "") for m in replies)
    prompt = json.dumps(request.get("messages"), ensure_ascii=False) + json.dumps(request.get("tools") or "")
    return {"prompt_tokens": estimate_tokens(prompt), "completion_tokens": estimate_tokens(text)}


def completion_reservation(request: dict[str, Any], ledger: Ledger) -> int:
    """The most completion tokens a request may cost: its own cap (times ``n``), or the budget's default."""
    caps = [v for v in (request.get("max_completion_tokens"), request.get("max_tokens")) if type(v) is int and v > 0]
    n = request.get("n")
    choices = n if type(n) is int and n > 1 else 1
    return (max(caps) if caps else ledger.budget.completion_reservation) * choices
