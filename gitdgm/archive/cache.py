"""What loading the archive learns once and need never learn again, kept in ``<git dir>/gitdgm/``.

Every entry is keyed by a content address — a note's blob id (its record's summary), a commit id (its tree, first
parent and subject) — so an entry can never be stale, and writers in several processes cannot corrupt each
other's entries: the worst a lost race costs is reading a note or a commit again. Parsing 10,000 TOML notes and
looking up 20,000 commits is most of a load, so a warm load is a few dictionary look-ups per agent.

New entries are appended to a log, one JSON line each, so that a step which adds one agent writes a line instead
of rewriting the whole cache (which grew with the archive); the log is folded into the base file, dropping entries
no agent uses any more, once it is long. A line cut short by a kill is skipped.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, NamedTuple

CACHE_VERSION = 2
TABLES = ("summaries", "commits")


class CommitFacts(NamedTuple):
    tree: str
    parent: str | None  # the first parent's id
    subject: str


class LoadCache:
    def __init__(self, directory: Path) -> None:
        self.base = directory / "load-cache.json"
        self.log = directory / "load-cache.log"
        self.tables: dict[str, dict[str, Any]] = {name: {} for name in TABLES}
        self.new: list[tuple[str, str, Any]] = []
        self.logged = 0
        try:
            loaded = json.loads(self.base.read_bytes())
            if loaded.get("version") == CACHE_VERSION:
                self.tables = {name: dict(loaded[name]) for name in TABLES}
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            pass
        try:
            lines = self.log.read_bytes().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                version, table, key, value = json.loads(line)
                if version == CACHE_VERSION:
                    self.tables[table][key] = value
            except (ValueError, TypeError, KeyError):
                continue
        self.logged = len(lines)

    def get(self, table: str, key: str, compute: Callable[[], Any]) -> Any:
        value = self.tables[table].get(key)
        if value is None:
            value = self.tables[table][key] = compute()
            self.new.append((table, key, value))
        return value

    def summary(self, blob: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return self.get("summaries", blob, compute)

    def commit(self, commit: str, compute: Callable[[], CommitFacts]) -> CommitFacts:
        return CommitFacts(*self.get("commits", commit, lambda: list(compute())))

    def save(self, live: dict[str, Collection[str]]) -> None:
        """Append what was learnt; fold the log into the base (keeping only ``live`` keys per table) once it has
        grown past a tenth of the base, so both files stay in proportion to the archive."""
        if not self.new:
            return
        try:
            self.base.parent.mkdir(parents=True, exist_ok=True)
            if self.logged + len(self.new) > 200 + len(self.tables["summaries"]) // 10:
                self._compact(live)
            else:
                lines = "".join(json.dumps([CACHE_VERSION, *entry]) + "\n" for entry in self.new)
                fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, lines.encode())  # one append: concurrent writers' lines do not interleave
                finally:
                    os.close(fd)
                self.logged += len(self.new)
            self.new = []
        except OSError:
            pass  # a read-only archive still works, just slower

    def _compact(self, live: dict[str, Collection[str]]) -> None:
        kept = {
            name: {key: value for key, value in self.tables[name].items() if key in live.get(name, ())}
            for name in TABLES
        }
        self._replace(self.base, json.dumps({"version": CACHE_VERSION, **kept}))  # C encoder: 10x json.dump
        self._replace(self.log, "")  # entries another process appended meanwhile are only re-read later
        self.tables, self.logged = kept, 0

    @staticmethod
    def _replace(path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
