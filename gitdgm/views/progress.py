"""Live progress of ``step``, ``run``, ``eval`` and ``demo``: which phase, which agent, which task of how many.

The step and the evaluation tell a ``Progress`` (engine/progress.py) what starts and what ends; it shows nothing
itself (the library default and ``--progress off``). ``Lines`` writes one timestamped line per event (CI logs, pipes);
``Live`` draws a rich display on a terminal that keeps finished events above a line for the work in hand. Both
write to stderr, so stdout stays the command's result (a report, JSON). Events come from evaluation worker
threads too, so the displays serialise them.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.text import Text

from gitdgm.engine.progress import Progress

MODES = ("auto", "live", "lines", "off")
PHASE_WORDS = {  # journal phase -> what the user reads
    "catch-up": "catching up",
    "select": "selecting parents",
    "diagnose": "diagnosing",
    "self-modify": "self-modifying",
    "commit": "committing the child of",
    "check": "checking",
    "evaluate": "evaluating",
}


class Lines(Progress):
    """One line per event, prefixed with the seconds since the start (readable in a CI log)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.counts: dict[str, list[int]] = {}  # per agent: tasks done, tasks in its stage (agents run side by side)

    def write(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{time.monotonic() - self.start:6.1f}s] {text}\n")
            self.stream.flush()

    def step(self, number: int, total: int) -> None:
        self.write(f"step {number}/{total}")

    def phase(self, name: str, agent: str | None = None, detail: str = "") -> None:
        self.write(describe_phase(name, agent, detail))

    def tasks(self, agent: str, stage: int, total: int, workers: int) -> None:
        with self.lock:
            self.counts[agent] = [0, total]
        self.write(f"evaluating {agent}: stage {stage}, {total} task(s), {workers} at a time")

    def task_done(self, agent: str, task: str, outcome: str, seconds: float) -> None:
        with self.lock:
            done = self.counts.setdefault(agent, [0, 0])
            done[0] += 1
            shown = f"{done[0]}/{done[1]}" if done[0] <= done[1] else str(done[0])  # hgm: beyond its first stage
        self.write(f"evaluating {agent}: task {shown} {task} {outcome} ({seconds:.1f}s)")

    def settled(self, agent: str | None, status: str, score: float | None, reason: str) -> None:
        self.write(describe_outcome(agent, status, score, reason))


class CountColumn(ProgressColumn):
    """``done/total`` for work that has a count (the tasks of a stage), nothing for a phase that has none."""

    def render(self, task: Task) -> Text:
        return Text("" if task.total is None else f"{task.completed:.0f}/{task.total:.0f}")


class Live(Lines):
    """A rich display on a terminal: finished events scroll above a spinner line and a bar of the tasks."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.display = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            CountColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.current = self.display.add_task("starting", total=None)

    def write(self, text: str) -> None:
        self.display.console.print(f"[dim]{time.monotonic() - self.start:6.1f}s[/] {escape(text)}", highlight=False)

    def phase(self, name: str, agent: str | None = None, detail: str = "") -> None:
        self.display.reset(self.current, total=None, description=escape(describe_phase(name, agent, detail)))

    def tasks(self, agent: str, stage: int, total: int, workers: int) -> None:
        self.display.reset(
            self.current, total=total, description=escape(f"evaluating {agent} (stage {stage}, {workers} at a time)")
        )

    def task_done(self, agent: str, task: str, outcome: str, seconds: float) -> None:
        self.display.advance(self.current)
        self.write(f"  {task} {outcome} ({seconds:.1f}s)")


def describe_phase(name: str, agent: str | None, detail: str) -> str:
    words = PHASE_WORDS.get(name, name)
    return " ".join(part for part in (words, agent or "", detail) if part)


def describe_outcome(agent: str | None, status: str, score: float | None, reason: str) -> str:
    text = f"{agent or 'no child'}: {status}" + (f" {score:.2f}" if score is not None else "")
    return text + (f" ({reason})" if reason else "")


@contextlib.contextmanager
def progress_display(mode: str = "auto", console: Console | None = None) -> Iterator[Progress]:
    """The display ``mode`` asks for (``auto``: live on a terminal, lines otherwise), running for the block."""
    console = console or Console(stderr=True)
    if mode == "auto":
        mode = "live" if console.is_terminal else "lines"
    if mode == "off":
        yield Progress()
    elif mode == "lines":
        yield Lines(console.file)
    else:
        live = Live(console)
        with live.display:
            yield live
