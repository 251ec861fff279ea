"""One JSONL transcript per run, for the diagnosis step to read.

Each line is one request and its answer. Agents resend the whole conversation on every call,
so a line stores only the messages that are new since the previous request of the run
(``messages_from`` says where they start); a transcript stays linear in the conversation's
length. Only bodies are written, never headers, and every line is scrubbed (scrub.py).

gitdgm writes transcripts on the host, so they are never written through a link: they live in a
gateway-private directory that no sandbox mounts, each folder is opened relative to its parent
without following links, the file is created exclusively and written through the descriptor the
gateway opened, and a write is refused once the file's path no longer names that file.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import stat
import threading
import time
from pathlib import Path
from typing import Any

from gitdgm.gateway.scrub import Scrubber

log = logging.getLogger(__name__)

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | _NOFOLLOW


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "_"


def _open_folder(parent: int, name: str) -> int:
    """The folder ``name`` in ``parent``, made if missing; OSError if it is a link or not the gateway's."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent)
    except FileExistsError:
        pass
    fd = os.open(name, _DIRECTORY, dir_fd=parent)
    if os.fstat(fd).st_uid != os.getuid():
        os.close(fd)
        raise PermissionError(f"transcript folder {name} is not owned by gitdgm")
    return fd


class Transcript:
    """Appends request/response pairs of one run to ``DIR/<agent>/<task>[.N].jsonl``; OSError if it cannot."""

    def __init__(self, directory: Path, agent: str, task: str, scrubber: Scrubber) -> None:
        root = os.open(directory, _DIRECTORY)
        try:
            folder = _open_folder(root, _safe(agent))
        finally:
            os.close(root)
        try:
            stem, n = _safe(task), 1
            while True:
                name = f"{stem}.jsonl" if n == 1 else f"{stem}.{n}.jsonl"
                try:
                    self._fd: int | None = os.open(name, _NEW_FILE, 0o600, dir_fd=folder)
                    break
                except FileExistsError:
                    n += 1
        finally:
            os.close(folder)
        self.path = directory / _safe(agent) / name
        created = os.fstat(self._fd)
        self._identity = (created.st_dev, created.st_ino)
        self._scrubber = scrubber
        self._lock = threading.Lock()
        self._last_messages: list[Any] = []

    def write(self, request: Any, status: int, response: Any, duration: float) -> None:
        entry: dict[str, Any] = {"time": round(time.time(), 3), "status": status, "duration_s": round(duration, 3)}
        with self._lock:
            if self._fd is None or not self._intact():
                return
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
            line = self._scrubber.scrub(json.dumps(entry, ensure_ascii=False).encode(errors="replace") + b"\n")
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError as exc:  # a full disk, say: the run goes on without its transcript
                log.warning("gitdgm gateway: cannot write transcript %s (%s)", self.path, exc)
                self._close()

    def _intact(self) -> bool:
        """Whether the path still names the file created; if not, stop writing for good."""
        try:
            now = os.lstat(self.path)
            if stat.S_ISREG(now.st_mode) and (now.st_dev, now.st_ino) == self._identity:
                return True
        except OSError:
            pass
        log.warning("gitdgm gateway: transcript %s was replaced or removed; no longer writing it", self.path)
        self._close()
        return False

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


CALL_TEXT = 240  # characters of each call's answer (or error) in a summary


def calls_summary(path: Path, limit: int) -> str:
    """One line per model call of a transcript (status, seconds, the start of the answer or the error), the last
    ``limit`` characters of them: what the diagnosis reads of a run whose agent kept no log of its own. The file
    is the gateway's, written on the host where no sandbox reaches, and it is read line by line."""
    lines: collections.deque[str] = collections.deque()
    size = 0
    try:
        with open(path, "rb") as transcript:
            for number, raw in enumerate(transcript, start=1):
                lines.append(_call_line(number, raw))
                size += len(lines[-1]) + 1
                while size > limit and len(lines) > 1:
                    size -= len(lines.popleft()) + 1
    except OSError:
        return ""
    return "\n".join(lines)[-limit:]


def _call_line(number: int, raw: bytes) -> str:
    try:
        entry = json.loads(raw)
    except ValueError:
        return f"call {number}: (unreadable transcript line)"
    response = entry.get("response")
    status = entry.get("status")
    if status == 200 and isinstance(response, dict):
        message = ((response.get("choices") or [{}])[0] or {}).get("message") or {}
        tools = [str((call.get("function") or {}).get("name")) for call in message.get("tool_calls") or []]
        what = str(message.get("content") or "") or (f"tool calls: {', '.join(tools)}" if tools else "(empty)")
    elif isinstance(response, dict) and isinstance(response.get("error"), dict):
        what = f"error: {response['error'].get('message')}"
    else:
        what = f"error: {response}"
    what = " ".join(what.split())
    return f"call {number}: HTTP {status} in {entry.get('duration_s')} s: {what[:CALL_TEXT]}"
