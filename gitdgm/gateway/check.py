"""``gitdgm model check``: what the configured model server does, found by asking it, and the settings to use.

Servers that call themselves OpenAI-compatible differ in just what gitdgm relies on: the context window (stated in
the model list, in a refusal, or nowhere), usage in replies and in streams, ``max_tokens``, and native tool calls
(some call tools only when the request sets ``tool_choice``, some fail on "required"). Each probe is one request
(small, but for the oversized prompt sent only where no window is listed) through the gateway's own ``Upstream``,
with the real key, so the check sees the server as a step will.
What a probe finds is data (ok / no / unknown, with the evidence), never an exception.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gitdgm.config import Config
from gitdgm.errors import GitdgmError, ModelUnavailable
from gitdgm.gateway.listing import Listing, parse_listing
from gitdgm.gateway.server import not_the_agents
from gitdgm.gateway.tokens import DEFAULT_CONTEXT_WINDOW, stated_window
from gitdgm.gateway.upstream import Call, Reply, RetryPolicy, Upstream, configured_upstream

Verdict = Literal["ok", "no", "unknown"]

DIAGNOSIS_MIN_WINDOW = 2048  # about the least the diagnosis fits (gitdgm/diagnose/budget.py), a small agent's
SHORT_PROMPT = "Reply with the single word: ready"
LONG_PROMPT = "Count from 1 to 500, one number a line, and write nothing else."
TOOL_PROMPT = "What does the file notes.txt say? Call the read_file tool to find out; do not guess."
PROBE_CAP = 16  # the max_tokens the long answer is asked with
#: the tool probes' reply cap and time: llama-cpp-python ignores max_tokens when tools are sent, and a reply that
#: runs away goes on to the end of the window (minutes on a small machine); temperature 0 makes that rarer
TOOL_CAP = 64
TOOL_TIMEOUT = 120.0
#: the oversized prompt asks for more tokens than any server allows, so that servers refuse it before generating:
#: ~350 kB of numbers (a token per 2 bytes or less in the common tokenizers: more than gitdgm's default window)
#: and a max_tokens of a million; a server that takes it anyway is given a minute
OVERSIZED_NUMBERS = 60_000
OVERSIZED_CAP = 1_000_000
OVERSIZED_TIMEOUT = 60.0
READ_FILE_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file of the project and return its text.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "the file's path"}},
            "required": ["path"],
        },
    },
}


@dataclass(frozen=True)
class Finding:
    name: str
    verdict: Verdict
    evidence: str


@dataclass
class CheckReport:
    """The findings in the order probed, the settings to use (TOML table -> values) and why it failed, if it did."""

    base_url: str
    model: str
    findings: list[Finding] = field(default_factory=list)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    window: int = 0  # the context window found (0: none)
    exit_code: int = 0
    reason: str = ""

    def verdict(self, name: str) -> Verdict:
        return next((f.verdict for f in self.findings if f.name == name), "unknown")

    def error(self) -> GitdgmError | None:
        """What the CLI raises after printing the report: exit 6 unreachable, 1 unusable, None when usable."""
        if not self.exit_code:
            return None
        unreachable = self.exit_code == ModelUnavailable.exit_code
        return ModelUnavailable(self.reason) if unreachable else GitdgmError(self.reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "model": self.model,
            "checks": [dataclasses.asdict(f) for f in self.findings],
            "settings": self.settings,
            "warnings": self.warnings,
            "exit_code": self.exit_code,
            "reason": self.reason,
        }


def check_model(config: Config, root: Path, *, base_url: str | None = None, model: str | None = None) -> CheckReport:
    """Probe the agent's model of ``config``; ``base_url`` and ``model`` replace ``model.base_url`` and
    ``model.name`` (the agent's, and the diagnosis's unless it names its own); ``root`` resolves ``scripted:``."""
    settings = config.model
    if base_url:
        settings = dataclasses.replace(settings, base_url=base_url)
    if model:
        settings = dataclasses.replace(settings, name=model, agent=dataclasses.replace(settings.agent, name=model))
    config = dataclasses.replace(config, model=settings)
    name = config.model.role("agent").name
    with configured_upstream(config.model, root) as (url, key):
        upstream = Upstream(url, key, RetryPolicy(attempts=2), config.model.role("agent").request_timeout)
        try:
            report = CheckReport(config.model.base_url or url, name)
            _Probes(upstream, name).run(report)
        finally:
            upstream.close()
    if not report.exit_code:
        _suggest(report, config, name)
    return report


@dataclass(frozen=True)
class _Answer:
    """One reply, read: its status, its body and its JSON object (empty when it has none)."""

    status: int
    body: bytes
    data: dict[str, Any]

    @classmethod
    def of(cls, reply: Reply) -> _Answer:
        return cls(reply.status, reply.body, _json_object(reply.body))

    @property
    def replied(self) -> bool:
        return self.status == 200 and bool(self.data.get("choices"))

    @property
    def message(self) -> dict[str, Any]:
        choices = self.data.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        return (choice.get("message") or {}) | {"finish_reason": choice.get("finish_reason")}

    @property
    def error(self) -> str:
        """``HTTP 400: the server's message``, wherever the server put it (the gateway's own errors, such as
        unreachable, without the status it made up)."""
        found = next(
            (self.data[key] for key in ("error", "detail", "message") if key in self.data),
            self.body.decode(errors="replace"),
        )
        ours = isinstance(found, dict) and str(found.get("code")).startswith("upstream_")
        if isinstance(found, dict):
            found = found.get("message", found)
        said = " ".join(str(found).split())[:240] or "(an empty error message)"
        return ("" if ours else f"HTTP {self.status}: ") + said


def _json_object(data: bytes) -> dict[str, Any]:
    """``data`` as a JSON object; empty when it is not one."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _usage(data: dict[str, Any]) -> tuple[int, int] | None:
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return (prompt, completion) if type(prompt) is int and type(completion) is int else None


def _tokens(usage: tuple[int, int]) -> str:
    return f"{usage[0]} prompt + {usage[1]} completion tokens"


class _Probes:
    """The probes, in order, each adding its findings to the report; tiny prompts and small ``max_tokens``."""

    def __init__(self, upstream: Upstream, model: str) -> None:
        self.upstream = upstream
        self.model = model

    def run(self, report: CheckReport) -> None:
        models = _Answer.of(self.upstream.send("GET", "models"))
        if not_the_agents(models.status):
            report.findings.append(Finding("reachable", "no", models.error))
            report.exit_code = ModelUnavailable.exit_code
            report.reason = f"cannot use the model: {models.error}"
            return
        report.findings.append(Finding("reachable", "ok", f"GET /models answered HTTP {models.status}"))
        listing = parse_listing(models.body) if models.status == 200 else None
        sized, report.window = self.window(listing)
        report.findings += [self.listed(listing, models), sized]
        plain = self.chat(SHORT_PROMPT, max_tokens=32)
        if not plain.replied:
            report.findings.append(Finding("completion", "no", plain.error))
            report.exit_code, report.reason = 1, f"model {self.model!r} answers no completion: {plain.error}"
            return
        usage = _usage(plain.data)
        report.findings += [
            Finding(
                "completion",
                "ok",
                f"replied {str(plain.message.get('content') or '')[:40]!r} "
                f"(finish_reason {plain.message['finish_reason']})",
            ),
            Finding("usage", "ok", _tokens(usage))
            if usage
            else Finding("usage", "no", "the reply has no usage: gitdgm counts its tokens by estimate"),
            self.capped(),
            self.stream(),
        ]
        for choice in ("auto", "required"):
            finding, overran = self.tools(choice)
            report.findings.append(finding)
            if overran:
                report.warnings.append(
                    f"with tools (tool_choice {choice!r}) the server ignored max_tokens = "
                    f"{TOOL_CAP}: a reply can run on to the end of the window; tool_protocol = "
                    '"text" keeps replies capped'
                )

    def chat(self, prompt: str, call: Call | None = None, **fields: Any) -> _Answer:
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}]} | fields
        return _Answer.of(self.upstream.send("POST", "chat/completions", json.dumps(body).encode(), call=call))

    def listed(self, listing: Listing | None, models: _Answer) -> Finding:
        if listing is None:
            return Finding("model listed", "unknown", f"GET /models gave no model list ({models.error})")
        found = listing.find(self.model)
        if found:
            return Finding("model listed", "ok", f"{found!r} is listed (of {len(listing.names)})")
        names = ", ".join(listing.names[:5]) + (f" and {len(listing.names) - 5} more" if len(listing.names) > 5 else "")
        one = " (a server of one model, like llama.cpp's, may answer to any name)" if len(listing.names) == 1 else ""
        return Finding("model listed", "no", f"the server lists {names or 'no model'}{one}")

    def window(self, listing: Listing | None) -> tuple[Finding, int]:
        """From the model list; else (or when it gives only the model's training window, which llama.cpp's server
        may run smaller) from the refusal of an oversized prompt; 0 when not found."""
        listed, key = (listing.window(self.model), listing.stated_by(self.model)) if listing else (None, None)
        if listed and key != "meta.n_ctx_train":
            return Finding("context window", "ok", f"{listed} tokens, from the model list ({key})"), listed
        oversized = " ".join(str(n) for n in range(OVERSIZED_NUMBERS))
        refused = self.chat(oversized, Call(min(OVERSIZED_TIMEOUT, self.upstream.timeout)), max_tokens=OVERSIZED_CAP)
        stated = stated_window(refused.error) if refused.status != 200 else None
        if stated:
            evidence = (
                f"{stated} tokens, stated by the server when it refused an oversized prompt (a refusal costs "
                "nothing: it comes before any generation)"
            )
            return Finding("context window", "ok", evidence), stated
        if refused.status == 200:
            tried = (
                f"it took an oversized prompt: its window is larger than {DEFAULT_CONTEXT_WINDOW}, or it cuts "
                "prompts silently (as Ollama does)"
            )
        else:
            tried = f"it refused an oversized prompt without stating a window ({refused.error})"
        if listed:
            evidence = (
                f"{listed} tokens, the model's training window from the model list ({key}); the server may "
                f"run a smaller one, and {tried}"
            )
            return Finding("context window", "ok", evidence), listed
        return Finding("context window", "unknown", f"the model list states none, and {tried}"), 0

    def capped(self) -> Finding:
        answer = self.chat(LONG_PROMPT, max_tokens=PROBE_CAP)
        if answer.status != 200:
            return Finding("max_tokens", "no", answer.error)
        usage, finish = _usage(answer.data), answer.message["finish_reason"]
        counted = f"{usage[1]} completion tokens" if usage else "no usage"
        said = f"asked for at most {PROBE_CAP}: {counted}, finish_reason {finish}"
        if finish == "length" or (usage and usage[1] <= PROBE_CAP):
            return Finding("max_tokens", "ok", said)
        return Finding("max_tokens", "no" if usage else "unknown", said)

    def stream(self) -> Finding:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": SHORT_PROMPT}],
            "max_tokens": 32,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        reply = self.upstream.send("POST", "chat/completions", json.dumps(body).encode(), stream=True)
        if reply.stream is None:
            return Finding("stream usage", "no", f"a streamed completion failed ({_Answer.of(reply).error})")
        chunks, usage = 0, None
        try:
            for line in reply.stream:
                data = line.removeprefix(b"data:").strip()
                if not line.startswith(b"data:") or data == b"[DONE]":
                    continue
                chunks += 1
                usage = _usage(_json_object(data)) or usage
            broken = reply.stream.broken
        finally:
            reply.stream.close()
        if broken:
            return Finding("stream usage", "no", f"the stream broke off after {chunks} chunks ({broken})")
        if usage:
            return Finding("stream usage", "ok", f"{chunks} chunks, the last with usage ({_tokens(usage)})")
        return Finding(
            "stream usage",
            "no",
            f"{chunks} chunks and no usage though include_usage was asked: gitdgm counts streamed tokens by estimate",
        )

    def tools(self, choice: str) -> tuple[Finding, bool]:
        """The finding, and whether the reply passed the cap it was asked with."""
        answer = self.chat(
            TOOL_PROMPT,
            Call(min(TOOL_TIMEOUT, self.upstream.timeout)),
            max_tokens=TOOL_CAP,
            temperature=0,
            tools=[READ_FILE_TOOL],
            tool_choice=choice,
        )
        name = f"tools ({choice})"
        if answer.status != 200:
            return Finding(name, "no", answer.error), False
        usage = _usage(answer.data)
        return self.called(name, answer), bool(usage and usage[1] > TOOL_CAP)

    @staticmethod
    def called(name: str, answer: _Answer) -> Finding:
        calls = answer.message.get("tool_calls")
        first = calls[0] if isinstance(calls, list) and calls and isinstance(calls[0], dict) else {}
        function = first.get("function")
        function = function if isinstance(function, dict) else {}
        if function.get("name") == "read_file":
            return Finding(name, "ok", f"called read_file({str(function.get('arguments'))[:80]})")
        said = str(answer.message.get("content") or "")[:80]
        return Finding(
            name,
            "no",
            f"no call of the tool offered; replied {said!r}"
            if not function
            else f"called {function.get('name')!r}, not the tool offered",
        )


def _suggest(report: CheckReport, config: Config, model: str) -> None:
    """The settings for what was found: the tool protocol that worked, the window, max_tokens at most half of it."""
    auto, required = report.verdict("tools (auto)") == "ok", report.verdict("tools (required)") == "ok"
    window, asked = report.window, config.model.agent.max_tokens
    report.settings["model.agent"] = {
        "tool_choice": "auto" if auto else "required" if required else "omit",
        "tool_protocol": "native" if auto or required else "text",
        "context_window": window,
        "max_tokens": min(asked or window // 2, window // 2) if window else asked,
    }
    if config.model.role("diagnosis").name != model:
        report.warnings.append(
            f"the diagnosis uses model {config.model.role('diagnosis').name!r}: check it with "
            f"`gitdgm model check --model {config.model.role('diagnosis').name}`"
        )
        return
    report.settings["model.diagnosis"] = {"context_window": window}
    if window and window < DIAGNOSIS_MIN_WINDOW:
        report.warnings.append(
            f"the context window ({window} tokens) is smaller than the diagnosis works from "
            f"(about {DIAGNOSIS_MIN_WINDOW:,} tokens): give [model.diagnosis] a model with a "
            "larger window (name = ...)"
        )


def render(report: CheckReport) -> str:
    """The report as text: a line per finding, the settings as TOML, warnings, and the verdict on success."""
    lines = [f"model {report.model!r} at {report.base_url}"]
    lines += [f"  {f.name:<17} {f.verdict:<8} {f.evidence}" for f in report.findings]
    if report.settings:
        lines += ["", "Settings for gitdgm.toml:"]
        for table, values in report.settings.items():
            lines.append(f"[{table}]")
            for key, value in values.items():
                unknown = key == "context_window" and not value
                lines.append(
                    f"{key} = {json.dumps(value)}"
                    + (
                        f"  # not found: 0 takes the server's model list, else {DEFAULT_CONTEXT_WINDOW}"
                        if unknown
                        else ""
                    )
                )
            lines.append("")
    lines += [f"warning: {w}" for w in report.warnings]
    if not report.exit_code:
        native = report.settings["model.agent"]["tool_protocol"] == "native"
        lines.append(f"The agent can use this model ({'native tool calls' if native else 'tool calls as text'}).")
    return "\n".join(lines).rstrip()
