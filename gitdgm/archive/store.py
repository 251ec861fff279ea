"""The archive's git storage: commits, branches, notes and trees, as plain operations on one repository.

``Archive`` (repository.py) builds its index and its verbs on these; every write here tells it which agent
changed (``_changed``), so its in-memory index never goes stale whoever writes.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import CheckoutStrategy, FileMode

from gitdgm.archive.notes import LOGS_REF, RECORDS_REF, NoteStore, named_entries, read_blob
from gitdgm.archive.record import Record
from gitdgm.archive.refs import BRANCH_PREFIX, REJECTED_PREFIX, agent_id
from gitdgm.archive.scratch import Workspace, snapshot
from gitdgm.errors import ArchiveError, GitdgmError
from gitdgm.sandbox.readback import Limits

_GITDGM = pygit2.Signature("gitdgm", "gitdgm@localhost")
MAX_CODE_FILE = 200_000  # larger files of an agent's tree are not shown to the diagnosis


class MergeConflict(GitdgmError):
    """A change that does not apply onto a tree (the paths are in the message); nothing was written."""


class GitStore:
    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise ArchiveError(
                f"not a git repository: {path} (create an archive with `gitdgm init {path}`, or "
                f"clone one with `gitdgm clone URL {path}`)"
            )
        self.repo = pygit2.Repository(found)
        self.records = NoteStore(self.repo, RECORDS_REF)
        self.logs = NoteStore(self.repo, LOGS_REF)
        # held across a write and its ``_changed``, so that the index never ends on an older write than git
        self._lock = threading.RLock()

    def _changed(self, commit_hex: str, record: Record | None = None) -> None:
        """An agent's ref or note was written (``record``: the note as written, when known)."""

    @property
    def path(self) -> Path:
        return Path(self.repo.workdir or self.repo.path)

    @property
    def workdir(self) -> Path | None:
        """The working tree of the experiment's default branch (None for a bare archive)."""
        return Path(self.repo.workdir) if self.repo.workdir else None

    @property
    def git_dir(self) -> Path:
        return Path(self.repo.path)

    @property
    def state_dir(self) -> Path:
        """``<git dir>/gitdgm``: the step's journal, its lock and the load cache, never pushed."""
        return self.git_dir / "gitdgm"

    # --- commits and refs -----------------------------------------------------------------------------------
    def create_agent_commit(
        self,
        tree: str,
        parent: str | None,
        subject: str,
        body: str = "",
        trailers: Mapping[str, str] | None = None,
        author: tuple[str, str] | None = None,
    ) -> str:
        """A commit for a new agent (``author``: name and email); a nonce trailer keeps twin children (same tree
        and message) distinct."""
        lines = [subject.strip() or "Self-modification", ""]
        if body.strip():
            lines += [body.strip(), ""]
        all_trailers = {**(trailers or {}), "Gitdgm-Nonce": uuid.uuid4().hex[:16]}
        lines += [f"{key}: {value}" for key, value in all_trailers.items()]
        parents = [pygit2.Oid(hex=parent)] if parent else []
        signature = pygit2.Signature(*author) if author else _GITDGM
        oid = self.repo.create_commit(
            None, signature, self.committer(), "\n".join(lines) + "\n", pygit2.Oid(hex=tree), parents
        )
        return str(oid)

    def committer(self) -> pygit2.Signature:
        try:
            sig = self.repo.default_signature
            return pygit2.Signature("gitdgm", sig.email) if sig.name != "gitdgm" else sig
        except (KeyError, pygit2.GitError):
            return _GITDGM

    def message(self, commit_hex: str) -> str:
        return self.repo[commit_hex].peel(pygit2.Commit).message

    def set_branch(self, commit_hex: str) -> str:
        """Admit: ``refs/heads/dgm/<id>`` points at the agent (and any rejected ref is dropped)."""
        name = BRANCH_PREFIX + agent_id(commit_hex)
        with self._lock:
            self.repo.references.create(name, pygit2.Oid(hex=commit_hex), force=True)
            self._delete_ref(REJECTED_PREFIX + agent_id(commit_hex))
            self._changed(commit_hex)
        return name

    def move_to_rejected(self, commit_hex: str) -> str:
        """Move an agent out of ``git branch`` and selection, keeping it for inspection."""
        name = REJECTED_PREFIX + agent_id(commit_hex)
        with self._lock:
            self.repo.references.create(name, pygit2.Oid(hex=commit_hex), force=True)
            ref = self.repo.references.get(BRANCH_PREFIX + agent_id(commit_hex))
            if ref is not None and str(ref.target) == commit_hex:
                ref.delete()
            self._changed(commit_hex)
        return name

    def _delete_ref(self, name: str) -> None:
        ref = self.repo.references.get(name)
        if ref is not None:
            ref.delete()

    def pack_refs(self, threshold: int = 500) -> None:
        """Pack loose agent refs once there are many: listing 10,000 loose refs costs ~10x a packed list."""
        loose = Path(self.repo.path, "refs", "heads", "dgm")
        if loose.is_dir() and sum(1 for _ in zip(range(threshold + 1), os.scandir(loose))) > threshold:
            self.repo.compress_references()

    # --- records and logs -----------------------------------------------------------------------------------
    def read_record(self, commit_hex: str) -> Record | None:
        raw = self.records.read(commit_hex)
        return Record.parse(raw) if raw is not None else None

    def write_records(self, records: Mapping[str, Record], message: str = "gitdgm: update records") -> None:
        with self._lock:
            self.records.write({commit: rec.dumps() for commit, rec in records.items()}, message)
            for commit, record in records.items():
                self._changed(commit, record)

    def write_record(self, commit_hex: str, record: Record, message: str | None = None) -> None:
        self.write_records({commit_hex: record}, message or f"gitdgm: {record.status} {agent_id(commit_hex)}")

    def update_record(self, commit_hex: str, change: Callable[[Record | None], Record], message: str) -> Record:
        """Change one agent's record safely against concurrent writers (shards, parallel workers)."""
        result: list[Record] = []

        def apply(_commit: str, raw: bytes | None) -> bytes:
            result[:] = [change(Record.parse(raw) if raw is not None else None)]
            return result[0].dumps()

        with self._lock:
            self.records.update([commit_hex], apply, message)
            self._changed(commit_hex, result[0])
        return result[0]

    def task_logs(self, commit_hex: str) -> dict[str, Any]:
        """An agent's logs per task (``refs/notes/dgm-logs``): what the diagnosis reads."""
        return unpack_logs(self.logs.read(commit_hex))

    def add_task_logs(self, commit_hex: str, task_id: str, logs: dict[str, Any]) -> None:
        self.logs.update(
            [commit_hex],
            lambda _c, old: pack_logs({**unpack_logs(old), task_id: logs}),
            f"gitdgm: logs of {agent_id(commit_hex)} {task_id}",
        )

    # --- trees ----------------------------------------------------------------------------------------------
    def tree_from_directory(self, directory: Path, limits: Limits = Limits()) -> str:
        """Store a directory's files (modes and links kept, never followed; caches and .git skipped) as a tree."""
        return snapshot(directory, self.repo, limits)[0]

    def workspace(self, directory: Path, limits: Limits) -> Workspace:
        """A throwaway repository at ``directory`` whose change is taken into the archive's own object store
        (a self-modification: the child's tree is stored without being copied again)."""
        return Workspace(directory, self.repo, limits)

    def materialise(self, commit_hex: str, directory: Path) -> Path:
        """Write an agent's whole tree into ``directory`` (one checkout, independent of lineage depth)."""
        directory.mkdir(parents=True, exist_ok=True)
        tree = self.repo[commit_hex].peel(pygit2.Tree)
        self.repo.checkout_tree(
            tree, directory=str(directory), strategy=CheckoutStrategy.FORCE | CheckoutStrategy.DONT_UPDATE_INDEX
        )
        return directory

    def tree_files(self, commit_hex: str) -> dict[str, bytes]:
        """Every file of an agent's tree under ``MAX_CODE_FILE`` bytes, by path (what the diagnosis reads)."""
        out: dict[str, bytes] = {}
        stack = [("", self.repo[commit_hex].peel(pygit2.Tree))]
        while stack:
            prefix, tree = stack.pop()
            for name, entry in named_entries(tree):
                obj = self.repo[entry.id]
                if isinstance(obj, pygit2.Tree):
                    stack.append((f"{prefix}{name}/", obj))
                elif isinstance(obj, pygit2.Blob) and obj.size < MAX_CODE_FILE:
                    out[prefix + name] = obj.data
        return out

    def merge_change(self, base: str, ours: str, theirs: str) -> str:
        """``ours``'s tree with the change from ``base`` to ``theirs`` applied, in memory (all three commits).

        Raises MergeConflict naming the conflicting paths, or when ``ours`` already holds the change."""
        trees = [self.repo[commit].peel(pygit2.Tree) for commit in (base, ours, theirs)]
        index = self.repo.merge_trees(trees[0], trees[1], trees[2])
        if index.conflicts is not None:
            paths = sorted({entry.path for trio in index.conflicts for entry in trio if entry is not None})
            raise MergeConflict(f"conflicts in: {', '.join(paths)}")
        tree = str(index.write_tree(self.repo))
        if tree == str(trees[1].id):
            raise MergeConflict("it already contains the change")
        return tree

    def diff(self, old: str | None, new: str) -> str:
        """The patch between two agents (or against the empty tree when ``old`` is None)."""
        new_tree = self.repo[new].peel(pygit2.Tree)
        if old is None:
            return new_tree.diff_to_tree(swap=True).patch or ""
        return self.repo.diff(self.repo[old].peel(pygit2.Tree).id, new_tree.id).patch or ""

    def file_text(self, commit_hex: str, path: str) -> str | None:
        try:
            return read_blob(self.repo, self.repo[commit_hex].peel(pygit2.Tree)[path].id).decode("utf-8", "replace")
        except KeyError:
            return None

    def default_branch_file(self, path: str) -> bytes | None:
        """A file of the experiment (default branch): gitdgm.toml, custom suites."""
        if self.repo.workdir and Path(self.repo.workdir, path).is_file():
            return Path(self.repo.workdir, path).read_bytes()
        try:
            head = self.repo.head.peel(pygit2.Commit)
            return read_blob(self.repo, head.tree[path].id)
        except (KeyError, pygit2.GitError):
            return None

    def commit_files(self, files: Mapping[str, bytes], message: str) -> str:
        """Commit files onto the default branch: through the index and working tree when there is one, in
        memory for a bare archive."""
        repo = self.repo
        if repo.is_bare:
            index = pygit2.Index()
            if not repo.head_is_unborn:
                index.read_tree(repo.head.peel(pygit2.Commit).tree)
            for path, data in files.items():
                index.add(pygit2.IndexEntry(path, repo.create_blob(data), FileMode.BLOB))
        else:
            index = repo.index
            for path, data in files.items():
                target = Path(repo.workdir, path)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                index.add(path)
            index.write()
        parents = [] if repo.head_is_unborn else [repo.head.target]
        sig = self.committer()
        return str(repo.create_commit("HEAD", sig, sig, message, index.write_tree(repo), parents))


def pack_logs(logs: dict[str, Any]) -> bytes:
    """Logs are large: zlib-compressed JSON, kept out of agent trees and out of the records ref."""
    return zlib.compress(json.dumps(logs).encode("utf-8"), 6)


def unpack_logs(raw: bytes | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        return json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError):
        return {}
