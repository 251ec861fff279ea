"""The progress displays: which one a command gets, and what each shows (rich on a terminal, lines otherwise).

The events a real step sends, in order, are checked in test_step.py; the command line's choice in
test_eval_cli.py. Here the displays themselves get events, from several threads as evaluation workers send them.
"""

from __future__ import annotations

import io
import re
import threading

from rich.console import Console

from gitdgm.engine.progress import Progress
from gitdgm.views.progress import Lines, Live, progress_display


def send(progress: Progress) -> None:
    progress.step(1, 2)
    progress.phase("diagnose", "a1b2c3")
    progress.phase("check", "d4e5f6")
    progress.tasks("d4e5f6", 1, 40, 4)
    threads = [threading.Thread(target=lambda: [progress.task_done("d4e5f6", f"t{i}", "resolved", 1.25)
                                                for i in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.settled("d4e5f6", "evaluated", 0.625, "")
    progress.settled(None, "no child", None, "the model failed")


def test_lines_off_a_terminal_one_per_event_counting_tasks_across_threads() -> None:
    out = io.StringIO()
    with progress_display("auto", Console(file=out)) as progress:  # a StringIO is no terminal
        assert type(progress) is Lines
        send(progress)
    lines = out.getvalue().splitlines()
    assert all(re.match(r"\[ *\d+\.\ds\] ", line) for line in lines)
    events = [line.split("] ", 1)[1] for line in lines]
    assert events[:4] == ["step 1/2", "diagnosing a1b2c3", "checking d4e5f6",
                          "evaluating d4e5f6: stage 1, 40 task(s), 4 at a time"]
    counts = [int(re.search(r"task (\d+)/40 ", e).group(1)) for e in events if ": task " in e]
    assert counts == list(range(1, 41))  # each count once, in order, whichever thread finished
    assert events[-2:] == ["d4e5f6: evaluated 0.62", "no child: no child (the model failed)"]


def test_live_on_a_terminal_keeps_finished_events_and_shows_the_work_in_hand() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with progress_display("auto", console) as progress:
        assert type(progress) is Live
        send(progress)
        live = progress.display.tasks[0]
        assert live.total == 40 and live.completed == 40
        assert live.description == "evaluating d4e5f6 (stage 1, 4 at a time)"
    text = out.getvalue()
    for kept in ("step 1/2", "t9 resolved (1.2s)", "d4e5f6: evaluated 0.62", "no child (the model failed)"):
        assert kept in text


def test_off_shows_nothing_and_lines_can_be_asked_for_on_a_terminal() -> None:
    out = io.StringIO()
    with progress_display("off", Console(file=out, force_terminal=True)) as progress:
        send(progress)
    assert out.getvalue() == ""
    with progress_display("lines", Console(file=out, force_terminal=True)) as progress:
        assert type(progress) is Lines
        progress.phase("evaluate", "a1b2c3")
    assert out.getvalue().endswith("evaluating a1b2c3\n")
