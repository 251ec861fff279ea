"""The run's record: `log.jsonl` (one JSON object per event, for machines) and `transcript.md` (for people).

Both files are flushed after every write, so a run that is killed still leaves a useful record, and every
write passes through `redact` so that the gateway token never reaches disk.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def excerpt(text: str, limit: int) -> str:
    """`text` if it fits in `limit` chars, else its head and tail with the number of chars cut between."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} chars cut ...]\n{text[-half:]}"


def fence(text: str, lang: str = "") -> str:
    """A markdown code block that stays intact whatever backticks `text` contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text}\n{ticks}\n"


class RunLog:
    def __init__(self, output_dir: Path, secrets: Iterable[str] = ()) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        self._secrets = [s for s in secrets if s and s != "none"]
        self._jsonl = open(output_dir / "log.jsonl", "a", encoding="utf-8")
        self._markdown = open(output_dir / "transcript.md", "a", encoding="utf-8")
        self._start = time.monotonic()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def event(self, event: str, /, **fields: Any) -> None:
        record = {"event": event, "t": round(time.monotonic() - self._start, 3), **fields}
        self._jsonl.write(self.redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        self._jsonl.flush()

    def write(self, markdown: str) -> None:
        self._markdown.write(self.redact(markdown) + "\n")
        self._markdown.flush()

    def close(self) -> None:
        self._jsonl.close()
        self._markdown.close()
