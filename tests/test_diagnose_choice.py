"""The DGM's entry rule on records of every shape: probabilities, fallbacks, legacy outcomes, errors ignored.

The rendering of each entry from a real evaluation is in ``test_diagnose.py``; here the rule alone is checked on
records written as an evaluation writes them (and as gitdgm 0.1.0 did), so that its corner cases are cheap.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from gitdgm.engine.diagnose.choice import choose_entry, groups, options
from gitdgm.archive.record import Record, outcome_of


def record(**tasks: dict[str, Any]) -> Record:
    r = Record.new(status="evaluated", parent=None, generation=0)
    r.tasks.update(tasks)
    return r


RESOLVED = {"outcome": "resolved"}
FAILED = {"outcome": "unresolved", "why": "tests_failed"}
EMPTY = {"outcome": "unresolved", "why": "empty_patch"}


@pytest.mark.parametrize(("result", "expected"), [
    (RESOLVED, ("resolved", "")), (FAILED, ("unresolved", "tests_failed")), (EMPTY, ("unresolved", "empty_patch")),
    ({"outcome": "empty_patch"}, ("unresolved", "empty_patch")),  # 0.1.0 notes
    ({"outcome": "timeout"}, ("unresolved", "agent_timed_out")),
    ({"outcome": "unresolved", "reason": "what the agent left cannot be taken"}, ("unresolved", "refused")),
    ({"outcome": "unresolved"}, ("unresolved", "tests_failed")),
])
def test_outcomes_are_read_in_both_vocabularies(result: dict[str, Any], expected: tuple[str, str]) -> None:
    assert outcome_of(result) == expected


def test_empty_patches_need_ten_percent_of_the_attempts() -> None:
    few = record(e=EMPTY, **{f"f{i}": FAILED for i in range(10)})  # 1 of 11
    assert "empty_patches" not in options(groups(few, {}))
    enough = record(e=EMPTY, **{f"f{i}": FAILED for i in range(9)})  # 1 of 10
    assert options(groups(enough, {})) == pytest.approx({"empty_patches": 0.25, "stochasticity": 0.1875,
                                                         "failed_task": 0.5625})


def test_errors_never_count_and_legacy_empty_patches_do() -> None:
    r = record(a=RESOLVED, b={"outcome": "empty_patch"})
    r.data["errors"] = {"c": {"outcome": "error", "why": "model_unavailable"}}
    assert groups(r, {}) == {"resolved": ["a"], "empty": ["b"], "failed": [], "overflowed": []}


def test_a_parent_whose_failures_are_all_empty_patches_studies_one_of_them() -> None:
    r = record(a=RESOLVED, b=EMPTY, c=EMPTY)
    entries = {choose_entry(r, {}, random.Random(s)).entry for s in range(200)}
    assert entries == {"empty_patches", "stochasticity", "b", "c"}  # the DGM would crash on random.choice([])


def test_a_parent_that_failed_nothing_renormalises_over_the_special_entries() -> None:
    r = record(a=RESOLVED, b=RESOLVED)
    assert options(groups(r, {})) == {"stochasticity": 1.0}
    overflowed = {"a": {"transcript": "## End: done\n"}, "b": {"agent_output": "Error: prompt is too long"}}
    r.tasks["b"] = FAILED
    assert options(groups(r, overflowed)) == pytest.approx(
        {"stochasticity": 0.25, "context_length": 0.1875, "failed_task": 0.5625})


def test_nothing_run_gives_the_general_entry() -> None:
    choice = choose_entry(record(), {}, random.Random(0))
    assert (choice.entry, choice.task, choice.options) == ("general", None, {"general": 1.0})


def test_the_shown_task_has_logs_when_one_does() -> None:
    r = record(a=EMPTY, b=EMPTY, c=FAILED)
    for seed in range(20):
        choice = choose_entry(r, {"b": {"transcript": "# Agent run"}}, random.Random(seed), entry="empty_patches")
        assert choice.task == "b"
