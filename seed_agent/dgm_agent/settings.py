"""Run settings, read once from the environment the harness provides (README.md lists every variable)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(Exception):
    """The environment is unusable: a required variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    problem: str
    model: str
    output_dir: Path
    time_limit: float  # seconds the harness gives the whole run
    max_turns: int
    context_tokens: int  # the model's context window (prompt + reply), in tokens
    max_tokens: int  # the longest reply asked for, sent as max_tokens; 0 = not sent
    temperature: float | None  # None = not sent (the server's default)
    tool_choice: str  # auto | required | none | omit (= not sent); native tool calls only
    tool_protocol: str  # auto (native, then text when the model or server shows it needs it) | native | text
    bash_timeout: float  # per command
    base_url: str
    socket: str | None  # the gateway's unix socket; None means plain TCP to base_url
    api_key: str  # the gateway's per-run token: never written anywhere

    @property
    def safety_margin(self) -> float:
        """Stop this much before the harness's limit, so that logs are complete when it kills us."""
        return min(30.0, 0.1 * self.time_limit)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        problem_file = _required(env, "GITDGM_PROBLEM_FILE")
        try:
            problem = Path(problem_file).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise SettingsError(f"GITDGM_PROBLEM_FILE: cannot read {problem_file}: {error.strerror}") from None
        context_tokens = _number(env, "GITDGM_CONTEXT_TOKENS", 100_000, int)
        max_tokens = _number(env, "GITDGM_MAX_TOKENS", None, int)
        if max_tokens is None:  # the default leaves at least half of a small window to the conversation
            max_tokens = min(4096, context_tokens // 2)
        elif max_tokens >= context_tokens:
            raise SettingsError(f"GITDGM_MAX_TOKENS={max_tokens} leaves no room for the conversation in "
                                f"GITDGM_CONTEXT_TOKENS={context_tokens} (the window holds prompt and reply)")
        return cls(
            problem=problem,
            model=_required(env, "GITDGM_MODEL"),
            output_dir=Path(_required(env, "GITDGM_OUTPUT_DIR")),
            time_limit=_number(env, "GITDGM_TIME_LIMIT", 3600.0, float),
            max_turns=_number(env, "GITDGM_MAX_TURNS", 60, int),
            context_tokens=context_tokens,
            max_tokens=max_tokens,
            temperature=_number(env, "GITDGM_TEMPERATURE", None, float),
            tool_choice=_choice(env, "GITDGM_TOOL_CHOICE", ("auto", "required", "none", "omit")),
            tool_protocol=_choice(env, "GITDGM_TOOL_PROTOCOL", ("auto", "native", "text")),
            bash_timeout=_number(env, "GITDGM_BASH_TIMEOUT", 120.0, float),
            base_url=env.get("OPENAI_BASE_URL") or "http://gateway/v1",
            socket=env.get("GITDGM_GATEWAY_SOCKET") or None,
            api_key=env.get("OPENAI_API_KEY") or "none",
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set; the harness must set it (see the agent protocol)")
    return value


def _number(env: Mapping[str, str], name: str, default, kind):
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a valid {kind.__name__}") from None
    if value < 0:
        raise SettingsError(f"{name}={text!r} must not be negative")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """The variable's value, one of `choices`; the first is the default."""
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value
