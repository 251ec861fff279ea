"""The run's journal: every job's current phase, written before the phase starts, so a kill leaves a record of where.

``<git dir>/gitdgm/journal.json`` holds one run (a step is a short run): its settings (``run``, what a resumed run
needs: its id, policy, budget and the agents it evaluated) and the phase of each job in flight. The next run reads
what a killed one left (``previous``) and reports its unfinished jobs as dropped: work before a child's commit is
discarded, and a committed child or a recorded task result is already in the archive. What the user sees running
(``progress``) is what the journal says, so it is also exactly what a kill would leave to resume.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

from gitdgm.archive import Archive
from gitdgm.engine.progress import Progress

MAIN = "main"  # the job key of phases written outside any job (a step's selection)


class Journal:
    def __init__(self, archive: Archive, step_id: str, progress: Progress | None = None) -> None:
        self.path = archive.state_dir / "journal.json"
        self.step_id = step_id
        self.progress = progress or Progress()
        self.run: dict[str, Any] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._shown: set[tuple[str, str | None]] = set()
        self._lock = threading.Lock()
        self._local = threading.local()

    def previous(self) -> dict[str, Any] | None:
        """What a killed run left: ``step``, ``run`` and ``jobs`` (job key → its phase and agent)."""
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        if "jobs" not in data and "phase" in data:  # a journal written by gitdgm 0.1 (one phase at a time)
            data["jobs"] = {MAIN: {k: v for k, v in data.items() if k not in ("step", "pid")}}
        return data

    @contextlib.contextmanager
    def job(self, key: str) -> Iterator[None]:
        """Phases written in this block (on this thread) are ``key``'s; the job leaves the journal after it."""
        self._local.key = key
        try:
            yield
        finally:
            self._local.key = MAIN
            with self._lock:
                self._jobs.pop(key, None)
                self._write()

    def phase(self, name: str, **info: Any) -> None:
        """Write the phase the job enters; it is shown once per agent (a run evaluates an agent task by task)."""
        agent = info.get("child") or info.get("parent")
        with self._lock:
            self._jobs[getattr(self._local, "key", MAIN)] = {"phase": name, **info}
            self._write()
            first = (name, agent) not in self._shown
            self._shown.add((name, agent))
        if first or name != "evaluate":
            self.progress.phase(name, agent)

    def record_run(self, **settings: Any) -> None:
        """Keep the run's settings (and what it has touched) where a resumed run finds them."""
        with self._lock:
            self.run.update(settings)
            self._write()

    def done(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{threading.get_ident()}.tmp")
        data = {"step": self.step_id, "pid": os.getpid(), "run": self.run, "jobs": self._jobs}
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)
