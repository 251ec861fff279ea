"""The archive: agents are commits, admitted ones have a ``dgm/<id>`` branch, records are git notes.

The only package that speaks pygit2 (docs/internals.md). ``Archive`` keeps an in-memory index of every agent and
changes the repository only through verbs that keep that index current.
"""

from gitdgm.archive.index import UNREADABLE, Agent, Snapshot
from gitdgm.archive.record import Record
from gitdgm.archive.refs import BRANCH_PREFIX, ID_LENGTH, REJECTED_PREFIX, agent_id
from gitdgm.archive.repository import Archive, parse_trailers

__all__ = [
    "BRANCH_PREFIX",
    "ID_LENGTH",
    "REJECTED_PREFIX",
    "UNREADABLE",
    "Agent",
    "Archive",
    "Record",
    "Snapshot",
    "agent_id",
    "parse_trailers",
]
