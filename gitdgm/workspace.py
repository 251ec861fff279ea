"""Throwaway git repositories an agent works in, and the patch taken from them afterwards.

An agent never gets a handle on the archive (DESIGN §4): it edits a fresh repository whose only commit is the
starting state, so ``git diff`` there is its patch, and nothing it runs can reach another agent's refs or notes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pygit2

_SIG = pygit2.Signature("gitdgm", "gitdgm@localhost", 0, 0)


@dataclass(frozen=True)
class AgentSpec:
    """An agent tree's ``agent.toml``: how the harness starts it and how its own tests run."""

    name: str
    entry: list[str]
    test_command: list[str] | None


class AgentSpecError(ValueError):
    pass


def read_agent_spec(agent_dir: Path) -> AgentSpec:
    path = agent_dir / "agent.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgentSpecError("agent.toml is missing from the agent's tree") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AgentSpecError(f"agent.toml is not valid TOML: {exc}") from None
    entry, tests = data.get("entry"), data.get("test_command")
    if not (isinstance(entry, list) and entry and all(isinstance(a, str) for a in entry)):
        raise AgentSpecError("agent.toml: entry must be a non-empty list of strings (an argv)")
    if tests is not None and not (isinstance(tests, list) and tests and all(isinstance(a, str) for a in tests)):
        raise AgentSpecError("agent.toml: test_command must be a non-empty list of strings (an argv)")
    return AgentSpec(str(data.get("name", "agent")), entry, tests)


def init_repo(directory: Path) -> str:
    """Make ``directory`` (already holding the starting files) a repository with one commit; returns its tree."""
    repo = pygit2.init_repository(str(directory), initial_head="main")
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    repo.create_commit("HEAD", _SIG, _SIG, "start", tree, [])
    return str(tree)


def take_patch(directory: Path) -> str:
    """Everything the agent changed since the starting commit, new files included, as a patch."""
    repo = pygit2.Repository(str(directory))
    index = pygit2.Index()
    index.read_tree(repo.head.peel(pygit2.Commit).tree)
    for path in _files(directory):
        index.add(pygit2.IndexEntry(path, repo.create_blob((directory / path).read_bytes()), _mode(directory / path)))
    for entry in list(index):
        if not (directory / entry.path).is_file():
            index.remove(entry.path)
    new_tree = repo[index.write_tree(repo)]
    return repo.diff(repo.head.peel(pygit2.Tree), new_tree).patch or ""


def _files(directory: Path) -> list[str]:
    skip = {".git", "__pycache__", ".pytest_cache", "node_modules"}
    out = []
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if any(part in skip for part in rel.parts) or path.suffix == ".pyc" or path.is_symlink() or not path.is_file():
            continue
        out.append(rel.as_posix())
    return out


def _mode(path: Path) -> int:
    return pygit2.enums.FileMode.BLOB_EXECUTABLE if path.stat().st_mode & 0o111 else pygit2.enums.FileMode.BLOB
