"""The step's journal: its current phase, written before the phase starts, so a kill leaves a record of where.

``<git dir>/gitdgm/journal.json`` holds one step's phase at a time; the next step reads what a killed one left
(``previous``) and reports its unfinished work as dropped. What the user sees running (``progress``) is what the
journal says, so it is also exactly what a kill would leave to resume.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gitdgm.archive import Archive
from gitdgm.engine.progress import Progress


class Journal:
    def __init__(self, archive: Archive, step_id: str, progress: Progress | None = None) -> None:
        self.path = archive.state_dir / "journal.json"
        self.step_id = step_id
        self.progress = progress or Progress()

    def previous(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def phase(self, name: str, **info: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"step": self.step_id, "phase": name, "pid": os.getpid(), **info}))
        os.replace(tmp, self.path)
        self.progress.phase(name, info.get("child") or info.get("parent"))

    def done(self) -> None:
        self.path.unlink(missing_ok=True)
