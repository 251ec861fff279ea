"""Relaying a streamed completion (server-sent events) while counting it.

The gateway asks the upstream for a final usage chunk (``stream_options.include_usage``) so that
streamed calls are counted and budgeted like any other (servers that ignore the request send none: the gateway then
counts the call by estimate); when the agent did not ask for that
chunk itself, it is taken out of the stream, so the agent sees exactly what it asked for. A relayed
stream settles its call (counts it, releases its budget reservation) exactly once, when it is closed,
whether it was read to the end, broken off by the agent, or never read at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from typing import Any

from gitdgm.gateway.upstream import Stream


class StreamTally:
    """What a stream's chunks add up to: the usage, and the message for the transcript."""

    def __init__(self, hide_usage_chunk: bool) -> None:
        self._hide_usage_chunk = hide_usage_chunk
        self.usage: dict[str, Any] | None = None
        self.model = ""
        self._content: list[str] = []
        self._calls: dict[int, dict[str, str]] = {}
        self._finish_reason: str | None = None

    def keep(self, event: list[bytes]) -> bool:
        """Note what one event carries; False if the agent should not see it."""
        keep = True
        for line in event:
            if not line.startswith(b"data:") or line[5:].strip() == b"[DONE]":
                continue
            try:
                chunk = json.loads(line[5:])
            except ValueError:
                continue
            if not isinstance(chunk, dict):
                continue
            self.model = chunk.get("model") or self.model
            if chunk.get("usage"):
                self.usage = chunk["usage"]
                keep = not (self._hide_usage_chunk and not chunk.get("choices"))
            for choice in chunk.get("choices") or []:
                self._add(choice)
        return keep

    def _add(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta") or {}
        if delta.get("content"):
            self._content.append(delta["content"])
        for call in delta.get("tool_calls") or []:
            slot = self._calls.setdefault(call.get("index", 0), {"id": "", "name": "", "arguments": ""})
            function = call.get("function") or {}
            slot["id"] = call.get("id") or slot["id"]
            slot["name"] += function.get("name") or ""
            slot["arguments"] += function.get("arguments") or ""
        self._finish_reason = choice.get("finish_reason") or self._finish_reason

    def response(self) -> dict[str, Any]:
        """The chat.completion the stream amounted to, as the transcript records it."""
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self._content)}
        if self._calls:
            message["tool_calls"] = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                for _, c in sorted(self._calls.items())
            ]
        choice = {"index": 0, "message": message, "finish_reason": self._finish_reason}
        return {
            "object": "chat.completion",
            "streamed": True,
            "model": self.model,
            "choices": [choice],
            "usage": self.usage,
        }


def relay(lines: Iterator[bytes], tally: StreamTally) -> Generator[bytes, None, None]:
    """Regroup lines into events, let the tally see each, and pass on those it keeps."""
    event: list[bytes] = []
    for line in lines:
        if line:
            event.append(line)
            continue
        if event and tally.keep(event):
            yield b"\n".join(event) + b"\n\n"
        event = []
    if event and tally.keep(event):
        yield b"\n".join(event) + b"\n\n"


class Relay:
    """The events of an upstream stream on their way to the agent; the call is settled once, before the agent is
    sent the stream's last event (an agent stops reading at ``[DONE]`` and may end its run at once, while the
    upstream's connection can take a moment more to close: ``close_run`` must find the call counted)."""

    def __init__(self, lines: Stream, tally: StreamTally, settle: Callable[[str], None]) -> None:
        self._lines = lines
        self._events = relay(iter(lines), tally)
        self._settle: Callable[[str], None] | None = settle

    def __iter__(self) -> Iterator[bytes]:
        for event in self._events:
            if _is_done(event):
                self._settle_once()
            yield event

    @property
    def broken(self) -> str:
        """Why the upstream stream ended before its end ("" when it did not)."""
        return self._lines.broken

    def close(self) -> None:
        try:
            self._events.close()
            self._lines.close()
        finally:
            self._settle_once()

    def _settle_once(self) -> None:
        settle, self._settle = self._settle, None
        if settle is not None:
            settle(self._lines.broken)


def _is_done(event: bytes) -> bool:
    """Whether an event is the stream's end marker (``data: [DONE]``, spaced or not)."""
    field, _, value = event.partition(b":")
    return field.strip() == b"data" and value.strip() == b"[DONE]"
