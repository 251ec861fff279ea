"""Sources of files a task writes into a directory: a folder, an in-memory map, a git snapshot, a patch.

A task's repository, hidden tests and reference solution are each one of these, so adapters (HumanEval,
Polyglot, SWE-bench) need not lay tasks out on disk; grading only ever calls ``write(dest)``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gitdgm.errors import ConfigError


class Files(Protocol):
    """Something that can write (or overlay) its files into ``dest``, which exists."""

    def write(self, dest: Path) -> None: ...

    def paths(self) -> list[str]:
        """Relative paths this source writes or changes (for tests that check what an agent sees)."""
        ...


@dataclass(frozen=True)
class DirFiles:
    """A directory on disk, copied (overlaid) file by file."""

    root: Path
    exclude: tuple[str, ...] = ()  # relative files or folders left out (a Polyglot exercise's tests, .meta)

    def write(self, dest: Path) -> None:
        for rel in self.paths():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / rel, target, follow_symlinks=False)

    def paths(self) -> list[str]:
        found = (p.relative_to(self.root) for p in self.root.rglob("*") if p.is_file() or p.is_symlink())
        kept = (rel.as_posix() for rel in found if not _bytecode(rel))
        return sorted(rel for rel in kept if not any(rel == e or rel.startswith(e + "/") for e in self.exclude))


def _bytecode(rel: Path) -> bool:
    """Python's compiled files, which are never part of a task (pip writes them next to installed package data)."""
    return rel.suffix in (".pyc", ".pyo") or "__pycache__" in rel.parts


@dataclass(frozen=True)
class CopiedFiles:
    """Files copied from ``root`` under new names: ``mapping`` is {destination: source}, both relative."""

    root: Path
    mapping: Mapping[str, str] = field(hash=False)

    def write(self, dest: Path) -> None:
        for rel, src in self.mapping.items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.root / src, target)

    def paths(self) -> list[str]:
        return sorted(self.mapping)


@dataclass(frozen=True)
class MemoryFiles:
    """Files held as text: {relative path: content}."""

    files: Mapping[str, str] = field(hash=False)

    def write(self, dest: Path) -> None:
        for rel, text in self.files.items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def paths(self) -> list[str]:
        return sorted(self.files)


@dataclass(frozen=True)
class GitSnapshot:
    """The tree of ``commit`` in the local clone ``clone`` (no ``.git``: the agent gets plain files)."""

    clone: Path
    commit: str

    def write(self, dest: Path) -> None:
        archive = _git(self.clone, "archive", "--format=tar", self.commit)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(dest, filter="tar")

    def paths(self) -> list[str]:
        listing = _git(self.clone, "ls-tree", "-r", "--name-only", "-z", self.commit)
        return sorted(p.decode() for p in listing.split(b"\0") if p)


@dataclass(frozen=True)
class PatchFiles:
    """A unified diff applied onto ``dest`` with ``git apply`` (works outside a git repository)."""

    patch: str
    name: str = "patch"  # what the patch is, for error messages

    def write(self, dest: Path) -> None:
        proc = subprocess.run(
            ["git", "apply", "--whitespace=nowarn", "-"],
            cwd=dest,
            input=self.patch.encode(),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise ConfigError(f"{self.name} does not apply: {proc.stderr.decode(errors='replace').strip()}")

    def paths(self) -> list[str]:
        names = set()
        for line in self.patch.splitlines():
            if line.startswith(("+++ b/", "--- a/")):
                names.add(line[6:].strip())
        return sorted(names)


def _git(cwd: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"git {args[0]} failed in {cwd}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout
