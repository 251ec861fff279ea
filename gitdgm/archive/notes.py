"""Notes on agent commits, kept in git's fan-out layout and committed with a compare-and-swap.

pygit2's ``create_note`` rewrites one flat tree holding every note (cost grows with the archive) and loses notes
when two processes write at once. Here a write touches only the 256-way subtree of the annotated commit
(``ab/cdef…``, as git itself lays out large notes trees) and the notes ref moves only if its tip is still the one
the new commit was built on; otherwise the write is rebuilt on the new tip and retried. Plain git reads this
layout (``git log --notes=dgm``, ``git notes --ref=dgm show``), and flat entries that plain git wrote are read
and migrated into the fan-out on the next write of that note.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping

import pygit2

from gitdgm.errors import ArchiveError

RECORDS_REF = "refs/notes/dgm"
LOGS_REF = "refs/notes/dgm-logs"
_MAX_ATTEMPTS = 200


def _fanout_path(commit_hex: str) -> tuple[str, str]:
    return commit_hex[:2], commit_hex[2:]


def read_blob(repo: pygit2.Repository, oid: pygit2.Oid | str) -> bytes:
    """The content of blob ``oid`` (``repo[oid].data``, with the object's type checked)."""
    blob = repo[oid]
    if not isinstance(blob, pygit2.Blob):
        raise TypeError(f"{oid} is a {blob.type_str}, not a blob")
    return blob.data


def read_tree(repo: pygit2.Repository, oid: pygit2.Oid | str) -> pygit2.Tree:
    """Tree ``oid`` (``repo[oid]``, with the object's type checked)."""
    tree = repo[oid]
    if not isinstance(tree, pygit2.Tree):
        raise TypeError(f"{oid} is a {tree.type_str}, not a tree")
    return tree


def named_entries(tree: pygit2.Tree) -> Iterator[tuple[str, pygit2.Object]]:
    """``(name, object)`` for each entry of ``tree``: an object read from a tree always has its entry's name,
    which pygit2 types as optional because an object looked up by id has none."""
    for entry in tree:
        assert entry.name is not None
        yield entry.name, entry


class NoteStore:
    """One notes ref: read one note, read all in one pass, write many in one commit."""

    def __init__(self, repo: pygit2.Repository, ref: str = RECORDS_REF) -> None:
        self.repo = repo
        self.ref = ref
        self._lock = threading.Lock()  # threads of one process share a Repository: serialise writers

    def _tip(self) -> pygit2.Commit | None:
        try:
            return self.repo.references[self.ref].peel(pygit2.Commit)
        except KeyError:
            return None

    def read(self, commit_hex: str) -> bytes | None:
        return self._read_at(self._tip(), commit_hex)

    def blob_id(self, commit_hex: str) -> str | None:
        """The id of the note's blob (its content address), without reading it."""
        tip = self._tip()
        if tip is None:
            return None
        for path in (f"{commit_hex[:2]}/{commit_hex[2:]}", commit_hex):
            try:
                return str(tip.tree[path].id)
            except KeyError:
                continue
        return None

    def _read_at(self, tip: pygit2.Commit | None, commit_hex: str) -> bytes | None:
        if tip is None:
            return None
        fan, rest = _fanout_path(commit_hex)
        for path in (f"{fan}/{rest}", commit_hex):
            try:
                entry = tip.tree[path]
            except KeyError:
                continue
            return read_blob(self.repo, entry.id)
        return None

    def entries(self) -> Iterator[tuple[str, pygit2.Oid]]:
        """Every (annotated commit hex, note blob id) without reading the notes themselves."""
        tip = self._tip()
        if tip is None:
            return
        for name, entry in named_entries(tip.tree):
            if entry.type_str == "tree" and len(name) == 2:
                for leaf_name, leaf in named_entries(read_tree(self.repo, entry.id)):
                    yield name + leaf_name, leaf.id
            elif entry.type_str == "blob" and len(name) == 40:
                yield name, entry.id

    def items(self) -> Iterator[tuple[str, bytes]]:
        """Every (annotated commit hex, note bytes), reading blobs by id (fast at 10,000 notes)."""
        for commit_hex, blob in self.entries():
            yield commit_hex, read_blob(self.repo, blob)

    def write(self, notes: Mapping[str, bytes], message: str) -> None:
        """Commit ``notes`` (commit hex → bytes) on top of the current tip, retrying if another writer moved it."""
        if notes:
            self.update(list(notes), lambda commit, _old: notes[commit], message)

    def update(self, commits: list[str], change: Callable[[str, bytes | None], bytes], message: str) -> None:
        """Read-modify-write: ``change(commit, note at the tip)`` is re-applied on every retry, so a writer in
        another process that updated the same note in the meantime is never overwritten with stale content."""
        with self._lock:
            self._update(commits, change, message)

    def _update(self, commits: list[str], change: Callable[[str, bytes | None], bytes], message: str) -> None:
        signature = _signature(self.repo)
        for attempt in range(_MAX_ATTEMPTS):
            tip = self._tip()
            blobs = {commit: self.repo.create_blob(change(commit, self._read_at(tip, commit))) for commit in commits}
            tree_id = self._build_tree(tip, blobs)
            try:
                if tip is not None:
                    self.repo.create_commit(self.ref, signature, signature, message, tree_id, [tip.id])
                else:  # libgit2 force-creates a missing ref: create it only if still missing, else retry
                    root = self.repo.create_commit(None, signature, signature, message, tree_id, [])
                    self.repo.references.create(self.ref, root, force=False)
                return
            except (pygit2.GitError, OSError, ValueError):
                # the tip moved (another writer) or its lock is held: rebuild on the new tip
                time.sleep(random.uniform(0.001, 0.01) * min(attempt + 1, 20))
        raise ArchiveError(f"could not write notes to {self.ref}: too many concurrent writers; retry the command")

    def _build_tree(self, tip: pygit2.Commit | None, blobs: Mapping[str, pygit2.Oid]) -> pygit2.Oid:
        root = self.repo.TreeBuilder(tip.tree) if tip is not None else self.repo.TreeBuilder()
        by_fan: dict[str, dict[str, pygit2.Oid]] = {}
        for commit, blob in blobs.items():
            fan, rest = _fanout_path(commit)
            by_fan.setdefault(fan, {})[rest] = blob
            if root.get(commit) is not None:  # a flat note written by plain git: move it into the fan-out
                root.remove(commit)
        for fan, leaves in by_fan.items():
            existing = root.get(fan)
            sub = (
                self.repo.TreeBuilder(read_tree(self.repo, existing.id))
                if existing is not None
                else self.repo.TreeBuilder()
            )
            for rest, blob in leaves.items():
                sub.insert(rest, blob, pygit2.enums.FileMode.BLOB)
            root.insert(fan, sub.write(), pygit2.enums.FileMode.TREE)
        return root.write()


def _signature(repo: pygit2.Repository) -> pygit2.Signature:
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature("gitdgm", "gitdgm@localhost")
