"""Which commits are agents, and whose child each one is: the part of loading that reads commit parents.

An agent is a commit that an agent ref points at (``refs/heads/dgm/*``, ``refs/dgm/rejected/*``) or names
(``dgm/<id>`` moved by a cherry-pick onto it), or an ancestor of one that has a record; a note on any other commit
(an agent whose branch was deleted and that nothing descends from) is ignored, so deleting a branch is enough to
remove a hand-made agent. A ref whose commit has no record is checked before it is believed: a commit that is the
default branch's, a root commit other than the seed, or one that descends from no agent is not an agent, and is
reported with its ref and skipped rather than breaking the whole archive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitdgm.archive.cache import CommitFacts
from gitdgm.archive.refs import agent_id

Facts = Callable[[str], CommitFacts | None]
Info = Callable[[str], Mapping[str, Any]]


@dataclass
class Lineage:
    parent: dict[str, str | None] = field(default_factory=dict)  # agent commit → its parent agent's commit
    facts: dict[str, CommitFacts] = field(default_factory=dict)  # agent commit → its tree, first parent, subject
    seed: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # commit → why its refs do not name an agent
    broken: dict[str, str] = field(default_factory=dict)  # recorded agent → where its lineage ends, agent-less
    missing: set[str] = field(default_factory=set)  # commits a ref or note names that the repository lacks

    def agents(self) -> list[str]:
        return [c for c in self.parent if c not in self.skipped and c not in self.broken]


def trace(
    claimed: Collection[str], noted: Collection[str], facts: Facts, info: Info, default_tip: str | None
) -> Lineage:
    """The lineage of the ``claimed`` commits (those agent refs point at or name); ``noted`` have a record."""
    lineage = Lineage()
    first_parent: dict[str, str | None] = {}
    ends: dict[str, str] = {}
    queue = list(claimed)
    while queue:
        commit = queue.pop()
        if commit in lineage.parent or commit in lineage.missing:
            continue
        own = facts(commit)
        if own is None:
            lineage.missing.add(commit)
            continue
        lineage.facts[commit] = own
        first_parent[commit] = own.parent
        parent, last = own.parent, commit
        while parent is not None and parent not in claimed and parent not in noted:
            up = facts(parent)
            last, parent = parent, (up.parent if up is not None else None)
        lineage.parent[commit] = parent
        ends[commit] = last
        if parent is not None and parent not in lineage.parent:
            queue.append(parent)  # a recorded ancestor without a ref is still an agent: its children descend from it
    for commit, parent in lineage.parent.items():
        if parent in lineage.missing:
            lineage.parent[commit] = None
    roots = [
        c
        for c, p in lineage.parent.items()
        if p is None and first_parent[c] is None and (c in noted or c != default_tip)
    ]
    lineage.seed = _seed(roots, lineage.parent, noted, info)
    _skip_what_is_not_an_agent(lineage, first_parent, noted, info, default_tip)
    for commit, parent in lineage.parent.items():
        if parent is None and first_parent[commit] is not None and commit not in lineage.skipped:
            lineage.broken[commit] = ends[commit]
    return lineage


def _seed(roots: list[str], parent: Mapping[str, str | None], noted: Collection[str], info: Info) -> str | None:
    """The root that is the archive's seed: ``gitdgm init`` writes ``origin = "seed"``; older archives are told
    by what a seed has and a hand-made root commit has not: a record, children, an evaluation."""
    children = Counter(parent.values())
    return min(
        roots,
        key=lambda c: (
            info(c).get("origin") != "seed",
            c not in noted,
            not children[c],
            info(c).get("status") != "evaluated",
            info(c).get("generation") or 0,
            c,
        ),
        default=None,
    )


def _skip_what_is_not_an_agent(
    lineage: Lineage,
    first_parent: Mapping[str, str | None],
    noted: Collection[str],
    info: Info,
    default_tip: str | None,
) -> None:
    """Refs whose commit has no record (or only the pending note a step wrote for it before it could check it)
    must name a child of an agent, or be the seed; what descends from a skipped commit is skipped too."""
    skipped = lineage.skipped
    for commit, parent in lineage.parent.items():
        if commit == lineage.seed:
            continue
        root = parent is None and first_parent[commit] is None
        unsettled_root = (
            root and info(commit).get("status") in ("pending", "evaluating") and info(commit).get("origin") != "seed"
        )
        if commit in noted and not unsettled_root:
            continue
        if commit == default_tip:
            skipped[commit] = "the default branch's commit"
        elif root:
            skipped[commit] = f"a root commit that is not the archive's seed ({agent_id(lineage.seed or '')})"
        elif parent is None:
            skipped[commit] = "a commit that descends from no agent"
    if not skipped:
        return
    children: dict[str, list[str]] = {}
    for commit, parent in lineage.parent.items():
        if parent is not None:
            children.setdefault(parent, []).append(commit)
    stack = list(skipped)
    while stack:
        bad = stack.pop()
        for child in children.get(bad, []):
            if child not in skipped:
                skipped[child] = f"a commit on top of {agent_id(bad)}, which is not an agent"
                stack.append(child)
