"""The events the engine sends as it works, for a display to show (views/progress.py draws them)."""

from __future__ import annotations


class Progress:
    """Receives the events of a run; shows nothing. Subclasses decide how to show them."""

    def step(self, number: int, total: int) -> None:
        """Step ``number`` of ``total`` starts (a ``run`` or a ``demo`` has several)."""

    def phase(self, name: str, agent: str | None = None, detail: str = "") -> None:
        """A phase of the step starts (the journal's phase names, plus ``select``) for ``agent``."""

    def tasks(self, agent: str, stage: int, total: int, workers: int) -> None:
        """An evaluation stage starts: ``total`` tasks to run for ``agent``."""

    def task_done(self, agent: str, task: str, outcome: str, seconds: float) -> None:
        """One task of the stage in hand has its result."""

    def settled(self, agent: str | None, status: str, score: float | None, reason: str) -> None:
        """An agent (or a parent's failed attempt at one, ``agent`` None) reached its outcome in this step."""
