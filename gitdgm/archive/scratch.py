"""Throwaway repositories an agent works in, and its change taken from them afterwards as data.

An agent never gets a handle on the archive (DESIGN §4): it edits a fresh repository, so nothing it runs can
reach another agent's refs or notes. What it leaves is hostile input (THREATS.md): the change is taken by walking
the folder without following a link, within size caps, into an object store the agent never saw, and compared
with the starting tree kept there; the agent's own ``.git`` is never read.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import CheckoutStrategy, FileMode

from gitdgm.sandbox.readback import Limits, Untrusted, read_entry, walk

_SIG = pygit2.Signature("gitdgm", "gitdgm@localhost", 0, 0)
#: Names never part of an agent's tree or patch, wherever they are: version control (a ``.git`` folder, or a
#: ``.git`` file that points git elsewhere), caches, installed packages.
SKIP_NAMES = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules"})


def init_repo(directory: Path) -> str:
    """Make ``directory`` (already holding the starting files) a repository with one commit; returns its tree."""
    repo = pygit2.init_repository(str(directory), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    repo.create_commit("HEAD", _SIG, _SIG, "start", tree, [])
    return str(tree)


class Workspace:
    """A directory an agent edits, with what it held before the agent ran kept in ``store``, a git object
    database the agent never sees. The agent's own ``.git`` is only a convenience for it: nothing here reads it.
    """

    def __init__(self, directory: Path, store: pygit2.Repository, limits: Limits) -> None:
        self.directory, self.store, self.limits = directory, store, limits
        self._known: Known = {}
        self.base, _ = snapshot(directory, store, limits, self._known)
        init_repo(directory)

    def changes(self) -> Changes:
        """What the agent made of the directory, taken as data: links are stored as links, modes as modes.

        Raises Untrusted (the agent's doing: too large, a file swapped while read, the folder gone)."""
        try:
            tree, special = snapshot(self.directory, self.store, self.limits, self._known)
        except (FileNotFoundError, NotADirectoryError):
            raise Untrusted("the repository folder is gone") from None
        except PermissionError as error:
            raise Untrusted(f"a file of the repository cannot be read: {error.filename or error}") from None
        return Changes(self.store, self.base, tree, tuple(special))


Known = dict[str, tuple[tuple[int, int, int, int], pygit2.Oid]]


def snapshot(
    directory: Path, store: pygit2.Repository, limits: Limits, known: Known | None = None
) -> tuple[str, list[str]]:
    """Store ``directory`` as a tree without following a link (links kept as links) and within ``limits``;
    returns it and what was left out (special files, names git cannot store). ``known`` lets an unchanged file
    skip being read again."""
    known = {} if known is None else known
    entries, special = walk(directory, limits, SKIP_NAMES)
    index = pygit2.Index()
    for entry in entries:
        if entry.path.endswith((".pyc", ".pyo")):
            continue
        seen = known.get(entry.path)
        if seen is not None and seen[0] == entry.key:
            oid = seen[1]
        else:
            oid = store.create_blob(read_entry(directory, entry))
            known[entry.path] = (entry.key, oid)
        try:
            index.add(pygit2.IndexEntry(entry.path, oid, _mode(entry.mode)))
        except pygit2.GitError:  # a name git refuses to store (".GIT", "git~1", ...): never part of a tree
            special.append(entry.path)
    return str(index.write_tree(store)), special


@dataclass(frozen=True)
class Change:
    path: str
    new: bool  # the path is absent from the starting tree
    deleted: bool
    mode: int  # the git mode after the change (0 when deleted)
    blob: str  # the blob after the change ("" when deleted)


@dataclass(frozen=True)
class Changes:
    """The starting tree and the agent's tree, both in ``store``."""

    store: pygit2.Repository
    base: str
    tree: str
    special: tuple[str, ...] = ()  # FIFOs, sockets, devices, names git refuses: never part of its tree

    @property
    def empty(self) -> bool:
        return self.base == self.tree

    def patch(self) -> str:
        return self._diff().patch or ""

    def entries(self) -> list[Change]:
        out = []
        for delta in self._diff().deltas:
            deleted = delta.status == pygit2.enums.DeltaStatus.DELETED
            after = delta.old_file if deleted else delta.new_file
            out.append(
                Change(
                    after.path,
                    delta.status == pygit2.enums.DeltaStatus.ADDED,
                    deleted,
                    0 if deleted else after.mode,
                    "" if deleted else str(after.id),
                )
            )
        return out

    def base_paths(self) -> list[str]:
        index = pygit2.Index()
        index.read_tree(self.store[self.base].peel(pygit2.Tree))
        return [entry.path for entry in index]

    def apply(self, changes: list[Change]) -> str:
        """The starting tree with ``changes`` (a subset of ``entries()``) applied: the tree a clean room grades."""
        index = pygit2.Index()
        index.read_tree(self.store[self.base].peel(pygit2.Tree))
        for change in sorted(changes, key=lambda c: not c.deleted):  # deletions first: a file may become a folder
            if change.deleted:
                index.remove(change.path)
            else:
                index.add(pygit2.IndexEntry(change.path, pygit2.Oid(hex=change.blob), FileMode(change.mode)))
        return str(index.write_tree(self.store))

    def link_target(self, change: Change) -> str:
        return self.store[change.blob].peel(pygit2.Blob).data.decode("utf-8", "replace")

    def materialise(self, tree: str, directory: Path) -> Path:
        """Write ``tree`` into the new, empty ``directory``: files written fresh, links as links, never followed."""
        directory.mkdir(parents=True)
        self.store.checkout_tree(
            self.store[tree],
            directory=str(directory),
            strategy=CheckoutStrategy.FORCE | CheckoutStrategy.DONT_UPDATE_INDEX,
        )
        return directory

    def _diff(self) -> pygit2.Diff:
        return self.store.diff(pygit2.Oid(hex=self.base), pygit2.Oid(hex=self.tree))


def new_store(directory: Path) -> pygit2.Repository:
    """A private object database for one run's trees."""
    return pygit2.init_repository(str(directory), bare=True)


def _mode(st_mode: int) -> FileMode:
    if stat.S_ISLNK(st_mode):
        return FileMode.LINK
    return FileMode.BLOB_EXECUTABLE if st_mode & 0o100 else FileMode.BLOB
