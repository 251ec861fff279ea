"""One JSONL transcript per run, for the diagnosis step to read.

Each line is one request and its answer. Agents resend the whole conversation on every call,
so a line stores only the messages that are new since the previous request of the run
(``messages_from`` says where they start); a transcript stays linear in the conversation's
length. Only bodies are written, never headers, so neither the key nor the run token appear.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "_"


class Transcript:
    """Appends request/response pairs of one run to ``DIR/<agent>/<task>[.N].jsonl``."""

    def __init__(self, directory: Path, agent: str, task: str) -> None:
        folder = directory / _safe(agent)
        folder.mkdir(parents=True, exist_ok=True)
        stem, n = _safe(task), 1
        path = folder / f"{stem}.jsonl"
        while True:
            try:
                path.open("x").close()
                break
            except FileExistsError:
                n += 1
                path = folder / f"{stem}.{n}.jsonl"
        self.path = path
        self._lock = threading.Lock()
        self._last_messages: list[Any] = []

    def write(self, request: Any, status: int, response: Any, duration: float) -> None:
        entry: dict[str, Any] = {"time": round(time.time(), 3), "status": status, "duration_s": round(duration, 3)}
        with self._lock:
            if isinstance(request, dict) and isinstance(request.get("messages"), list):
                messages = request["messages"]
                start = len(self._last_messages)
                if messages[:start] != self._last_messages:
                    start = 0
                self._last_messages = messages
                request = {k: v for k, v in request.items() if k != "messages"}
                entry["messages_from"] = start
                entry["messages"] = messages[start:]
            entry["request"] = request
            entry["response"] = response
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(entry, ensure_ascii=False) + "\n")
