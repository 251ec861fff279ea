"""The archive's ref namespaces, local and remote-tracking: one definition for the loader, ``gitdgm sync`` and
``gitdgm clone``, so that what a fetch brings is where the loader looks for it (layout: docs/archive.md).

git's default refspec fetches no notes and no ``refs/dgm/`` refs; ``fetch_refspecs`` adds them, each into a
remote-tracking namespace of its own, never over a local ref (a local notes ref is merged, not overwritten).
"""

from __future__ import annotations

from gitdgm.archive.notes import LOGS_REF, RECORDS_REF

BRANCH_PREFIX = "refs/heads/dgm/"
REJECTED_PREFIX = "refs/dgm/rejected/"
AGENT_PREFIXES = (BRANCH_PREFIX, REJECTED_PREFIX)
NOTES_REFS = (RECORDS_REF, LOGS_REF)
ID_LENGTH = 12


def agent_id(commit_hex: str) -> str:
    return commit_hex[:ID_LENGTH]


def agent_tracking(remote: str) -> dict[str, str]:
    """Local agent namespace → where a fetch from ``remote`` keeps the remote's copy."""
    return {BRANCH_PREFIX: f"refs/remotes/{remote}/dgm/", REJECTED_PREFIX: f"refs/dgm/remotes/{remote}/rejected/"}


def notes_tracking(remote: str) -> dict[str, str]:
    """Local notes ref → where a fetch from ``remote`` keeps the remote's notes (merged by ``gitdgm sync``)."""
    return {ref: f"refs/notes/remotes/{remote}/{ref.rsplit('/', 1)[1]}" for ref in NOTES_REFS}


def fetch_refspecs(remote: str) -> list[str]:
    """Forced refspecs into the tracking namespaces above (forced is safe there: only a fetch writes them)."""
    specs = [f"+{local}*:{tracking}*" for local, tracking in agent_tracking(remote).items()]
    specs.append(f"+refs/notes/dgm*:refs/notes/remotes/{remote}/dgm*")  # refs/notes/dgm and refs/notes/dgm-logs
    return specs


def covered(spec: str, by: str) -> bool:
    """Whether refspec ``by`` already maps every ref ``spec`` maps, to the same place (then git refuses both:
    "multiple updates for ref")."""
    src, _, dst = spec.lstrip("+").partition(":")
    by_src, _, by_dst = by.lstrip("+").partition(":")
    if not (src.endswith("*") and by_src.endswith("*") and dst.endswith("*") and by_dst.endswith("*")):
        return spec.lstrip("+") == by.lstrip("+")
    src, dst, by_src, by_dst = src[:-1], dst[:-1], by_src[:-1], by_dst[:-1]
    return src.startswith(by_src) and dst == by_dst + src[len(by_src) :]
