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
    context_tokens: int  # budget for the conversation, estimated as chars / 4
    bash_timeout: float  # per command
    retries: int  # model requests retried this many times on transient errors
    retry_delay: float  # first backoff delay in seconds; doubles each retry
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
        return cls(
            problem=problem,
            model=_required(env, "GITDGM_MODEL"),
            output_dir=Path(_required(env, "GITDGM_OUTPUT_DIR")),
            time_limit=_number(env, "GITDGM_TIME_LIMIT", 3600.0, float),
            max_turns=_number(env, "GITDGM_MAX_TURNS", 60, int),
            context_tokens=_number(env, "GITDGM_CONTEXT_TOKENS", 100_000, int),
            bash_timeout=_number(env, "GITDGM_BASH_TIMEOUT", 120.0, float),
            retries=_number(env, "GITDGM_MODEL_RETRIES", 6, int),
            retry_delay=_number(env, "GITDGM_RETRY_DELAY", 2.0, float),
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
