"""An agent's record: the TOML note on its commit (schema in docs/archive.md).

A record is kept as the parsed TOML table so that keys this version does not know survive a rewrite; the
properties below are the fields gitdgm itself reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import tomli  # the compiled build of the stdlib's tomllib: 3x faster on a cold load of 10,000 notes
import tomli_w

from gitdgm import __version__

SCHEMA = 1
STATUSES = ("pending", "evaluating", "evaluated", "rejected")
#: what a task attempt in ``tasks`` ended as; an ``error`` attempt is kept apart, in ``errors`` (DESIGN §12)
OUTCOMES = ("resolved", "unresolved")
#: why an attempt is ``unresolved``: each is the agent's doing
UNRESOLVED_WHY = ("tests_failed", "tests_timed_out", "empty_patch", "agent_timed_out", "refused", "repeated_error")
_LEGACY = {"empty_patch": "empty_patch", "timeout": "agent_timed_out", "error": "empty_patch"}  # 0.1.0 outcomes


class RecordError(ValueError):
    """A note that is not a gitdgm record (not TOML, a newer schema, a wrong field type)."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Record:
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, *, status: str, parent: str | None, generation: int, **extra: Any) -> Record:
        data = {
            "schema": SCHEMA,
            "status": status,
            "parent": parent or "",
            "generation": generation,
            "created_at": now(),
            "gitdgm_version": __version__,
        }
        data.update(extra)
        return cls(data)

    @classmethod
    def parse(cls, raw: bytes) -> Record:
        try:
            data = tomli.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomli.TOMLDecodeError) as exc:
            raise RecordError(f"not a TOML note ({exc})") from None
        schema = data.get("schema")
        if not isinstance(schema, int) or schema > SCHEMA:
            raise RecordError(f"unknown note schema {schema!r} (this gitdgm reads schema {SCHEMA}; upgrade gitdgm)")
        if data.get("status") not in STATUSES:
            raise RecordError(f"status {data.get('status')!r} is not one of {', '.join(STATUSES)}")
        for key, kind in (
            ("generation", int),
            ("score", (int, float)),
            ("parent", str),
            ("tasks", dict),
            ("errors", dict),
        ):
            if key in data and not isinstance(data[key], kind):
                raise RecordError(f"field {key!r} has the wrong type ({type(data[key]).__name__})")
        _read_legacy_outcomes(data.get("tasks", {}))
        return cls(data)

    def dumps(self) -> bytes:
        self.data["updated_at"] = now()
        return tomli_w.dumps(_drop_none(self.data)).encode("utf-8")

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def score(self) -> float | None:
        value = self.data.get("score")
        return float(value) if value is not None else None

    @property
    def generation(self) -> int:
        return int(self.data.get("generation", 0))

    @property
    def parent(self) -> str:
        return self.data.get("parent", "")

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        """Graded attempts (resolved or unresolved): the score is taken over these."""
        return self.data.setdefault("tasks", {})

    @property
    def errors(self) -> dict[str, dict[str, Any]]:
        """Attempts that ended in ``error`` (not the agent's doing): never scored, run again later."""
        return self.data.setdefault("errors", {})


def outcome_of(result: dict[str, Any]) -> tuple[str, str]:
    """(outcome, why) of a task result. 0.1.0 wrote ``empty_patch``, ``timeout`` and ``error`` (an agent that
    crashed without editing) as outcomes; each was the agent's doing, so each reads as ``unresolved``."""
    outcome = str(result.get("outcome", ""))
    if outcome in _LEGACY:
        return "unresolved", str(result.get("why") or _LEGACY[outcome])
    if outcome != "unresolved":
        return outcome, ""
    return outcome, str(result.get("why") or ("refused" if result.get("reason") else "tests_failed"))


def _read_legacy_outcomes(tasks: dict[str, Any]) -> None:
    for result in tasks.values():
        if isinstance(result, dict) and result.get("outcome") in _LEGACY:
            result["outcome"], result["why"] = outcome_of(result)


def _drop_none(value: Any) -> Any:
    """TOML has no null: drop None values (they mean 'unknown')."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


SUMMARY_KEYS = (
    "status",
    "score",
    "parent",
    "generation",
    "resolved",
    "attempted",
    "errored",
    "created_at",
    "origin",
    "reason",
    "model",
)


def summarise(record: Record) -> dict[str, Any]:
    """The few fields listing and selection need, with the total cost of making and evaluating the agent."""
    summary = {k: record.data[k] for k in SUMMARY_KEYS if k in record.data}
    costs = (record.data.get(part, {}).get("cost_usd", 0.0) for part in ("creation", "evaluation"))
    summary["cost_usd"] = float(sum(c for c in costs if isinstance(c, (int, float))))
    return summary


_SUMMARY_TABLES = ("creation]", "creation.", "evaluation]", "evaluation.")  # table headers, after their "["


def summary_of(raw: bytes) -> dict[str, Any]:
    """``summarise(Record.parse(raw))`` parsing only the top-level keys and the tables the summary reads: the
    per-task tables and the diagnosis text are most of a note's TOML (~0.6 ms of 0.7 ms for 50 tasks). Table
    headers are found by line (tomli-w writes them at column 0); a note with multi-line strings, or whose trimmed
    text does not parse, is parsed whole. A bad detail table is first seen when the record itself is read."""
    text = raw.decode("utf-8", "replace")
    if "\ufffd" in text or '"""' in text or "'''" in text:  # not UTF-8, or a line may only look like a header
        return summarise(Record.parse(raw))
    top, *tables = ("\n" + text).split("\n[")  # a plain split: a regex over every line cost as much as parsing
    kept = [top] + [table for table in tables if table.startswith(_SUMMARY_TABLES)]
    try:
        return summarise(Record.parse("\n[".join(kept).encode()))
    except RecordError:
        return summarise(Record.parse(raw))  # the whole note decides what is wrong with it
