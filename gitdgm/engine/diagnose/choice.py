"""Which part of a parent's evaluation the diagnosis looks at: the DGM's entry rule, its inputs recorded.

The rule is jennyzzt/dgm's (``DGM_outer.py``, ``choose_selfimproves``, SWE-bench branch): in turn, each with
probability 0.25, study the empty patches (only when they are at least 10 % of the attempts), the agent's
stochasticity, the context length (only when a run overflowed its context); else one failed task, drawn
uniformly from those whose patch was graded. It differs where the DGM is weak: the sequential coin flips are one
draw over named probabilities (which the note records); a parent whose every failure is an empty patch studies
one of those (the DGM calls ``random.choice([])`` there), one with no failure at all renormalises over the
special entries; and the context detector reads what agents really leave (``overflow``), where the DGM's looks
for one provider's error message twice in a row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from gitdgm.archive.record import Record, outcome_of

SPECIAL = ("empty_patches", "stochasticity", "context_length")
P_SPECIAL = 0.25  # the DGM's probability for each special entry, tried in turn
EMPTY_SHARE = 0.1  # empty patches must be at least this share of the attempts (the DGM's threshold)
# What providers and the seed say when a conversation outgrows the context (the seed's model.py lists the same).
CONTEXT_PHRASES = (
    "context length",
    "context_length",
    "maximum context",
    "context window",
    "too many tokens",
    "input is too long",
    "prompt is too long",
    "exceeds the available context",
    "reduce the length",
)
_ERROR_WORDS = ("error", "exception", "http 4", "status 4", "code: 4")
_SEED_END = "## End: context_overflow"  # the seed's transcript when nothing more could be elided


def overflow(log: dict[str, Any]) -> str:
    """The line of a task's log that shows its run outgrew the model's context ("" when none): a provider's
    error about the context (in the model calls the gateway relayed; the seed also writes one into its
    transcript when it elides after such an error),
    else the seed's ending for a conversation that could not be shrunk further."""
    texts = [str(log.get(name) or "") for name in ("transcript", "agent_output", "model_calls")]
    for text in texts:
        low = text.lower() if len(text.lower()) == len(text) else text  # indices must match the text's
        for phrase in CONTEXT_PHRASES:  # only the lines that hold a phrase are read: logs are long
            at = low.find(phrase)
            while at != -1:
                start, end = low.rfind("\n", 0, at) + 1, low.find("\n", at)
                end = len(low) if end == -1 else end
                if any(w in low[start:end] for w in _ERROR_WORDS):
                    return text[start:end].strip()[:600]
                at = low.find(phrase, end)
    return _SEED_END if any(text.startswith(_SEED_END) or f"\n{_SEED_END}" in text for text in texts) else ""


@dataclass
class Choice:
    """What the diagnosis studies, and why: kept in the child's note so that the rule can be audited."""

    entry: str  # empty_patches | stochasticity | context_length | a failed task's id | general (nothing run)
    task: str | None  # the task whose run is shown (for a failed-task entry: that task)
    options: dict[str, float]  # entry kind (failed_task for the drawn task) -> probability
    inputs: dict[str, Any] = field(default_factory=dict)  # what the rule read, small enough for the note

    @property
    def kind(self) -> str:
        return self.entry if self.entry in (*SPECIAL, "general") else "failed_task"


def groups(record: Record, logs: dict[str, Any]) -> dict[str, list[str]]:
    """Task ids by what the rule needs: resolved, empty (patches), failed (graded or timed out), overflowed."""
    out: dict[str, list[str]] = {"resolved": [], "empty": [], "failed": [], "overflowed": []}
    for task_id, result in sorted(record.tasks.items()):
        outcome, why = outcome_of(result)
        if outcome == "resolved":
            out["resolved"].append(task_id)
        elif outcome == "unresolved":
            out["empty" if why == "empty_patch" else "failed"].append(task_id)
            if overflow(logs.get(task_id) or {}):
                out["overflowed"].append(task_id)
    return out


def options(found: dict[str, list[str]]) -> dict[str, float]:
    """The probability of each entry kind, as the DGM's coin flips in turn give them."""
    attempted = len(found["resolved"]) + len(found["empty"]) + len(found["failed"])
    if not attempted:
        return {"general": 1.0}
    eligible = {
        "empty_patches": len(found["empty"]) >= EMPTY_SHARE * attempted,
        "stochasticity": True,
        "context_length": bool(found["overflowed"]),
    }
    out: dict[str, float] = {}
    left = 1.0
    for kind in SPECIAL:
        if eligible[kind]:
            out[kind] = left * P_SPECIAL
            left -= out[kind]
    if found["failed"] or found["empty"]:
        out["failed_task"] = left
    else:
        total = sum(out.values())
        out = {kind: p / total for kind, p in out.items()}
    return out


def choose_entry(record: Record, logs: dict[str, Any], rng: random.Random, entry: str | None = None) -> Choice:
    """Draw the entry (or take ``entry``, e.g. to render one kind) and the task whose run the prompt shows."""
    found = groups(record, logs)
    probabilities = options(found)
    pool = found["failed"] or found["empty"]  # the DGM draws from graded failures only; see the module docstring
    if entry is None:
        draw, kind = rng.random(), next(iter(probabilities))
        for kind, p in probabilities.items():  # noqa: B007 - the kind drawn is read after the loop
            if draw < p:
                break
            draw -= p
        entry = rng.choice(_logged(pool, logs)) if kind == "failed_task" else kind
    shown = {"empty_patches": found["empty"], "context_length": found["overflowed"], "stochasticity": pool}
    candidates = _logged(shown.get(entry, []), logs)
    task = entry if entry in record.tasks else (rng.choice(candidates) if candidates else None)
    inputs = {
        "attempted": sum(len(found[k]) for k in ("resolved", "empty", "failed")),
        "resolved": len(found["resolved"]),
        "empty_patches": len(found["empty"]),
        "failed": len(found["failed"]),
        "overflowed": found["overflowed"][:5],
    }
    return Choice(entry, task, {k: round(p, 4) for k, p in probabilities.items()}, inputs)


def _logged(ids: list[str], logs: dict[str, Any]) -> list[str]:
    """``ids`` that have logs to show, or all of ``ids`` when none has."""
    return [i for i in ids if logs.get(i)] or list(ids)
