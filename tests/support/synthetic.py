"""Synthetic archives (random lineages, scored notes) for benchmarks, view tests and screenshots.

Agents are made through the public archive API, exactly as a step makes them, so timings measure the real path.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import pygit2

from gitdgm.archive import Archive
from gitdgm.archive.record import Record

FILES = 40


@dataclass
class BuildStats:
    agents: int
    seconds_per_agent: float
    max_depth: int
    deepest: str
    shallowest: str


def build(path: Path, n_agents: int, max_depth: int = 200, seed: int = 0, rejected_share: float = 0.1) -> BuildStats:
    """An archive of ``n_agents`` (seed included) whose lineages reach ``max_depth``."""
    rng = random.Random(seed)
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    archive = Archive(path)
    repo = archive.repo
    files = {f"agent/f{i:02d}.py": f"# file {i}\nVALUE = {i}\n".encode() for i in range(FILES)}
    files["agent.toml"] = b'schema = 1\nname = "synthetic"\nentry = ["python3", "-c", "pass"]\n'
    index = pygit2.Index()
    for name, data in files.items():
        index.add(pygit2.IndexEntry(name, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    seed_commit = archive.create_agent_commit(str(index.write_tree(repo)), None, "Seed agent")
    archive.set_branch(seed_commit)
    archive.write_record(seed_commit, _record(rng, None, 0, 0.2))
    nodes = [(seed_commit, 0, 0.2)]  # commit, depth, score
    chain = 0  # index of the tip of the growing deep lineage
    started = time.perf_counter()
    for i in range(1, n_agents):
        if nodes[chain][1] < max_depth and rng.random() < 0.3:
            parent_index = chain
        else:
            parent_index = rng.randrange(len(nodes))
            while nodes[parent_index][1] >= max_depth:  # lineages stop at max_depth
                parent_index = rng.randrange(len(nodes))
        parent, depth, score = nodes[parent_index]
        tree = _edit_tree(repo, repo[parent].peel(pygit2.Tree), f"agent/f{rng.randrange(FILES):02d}.py",
                          f"# agent {i}\nVALUE = {rng.random()}\n".encode())
        commit = archive.create_agent_commit(tree, parent, f"Improvement {i}", f"Synthetic change {i}.",
                                             {"Gitdgm-Parent": parent[:12], "Gitdgm-Generation": str(depth + 1)})
        child_score = min(1.0, max(0.0, score + rng.gauss(0.02, 0.08)))
        rejected = rng.random() < rejected_share
        if rejected:
            archive.move_to_rejected(commit)
        else:
            archive.set_branch(commit)
        archive.write_record(commit, _record(rng, parent, depth + 1, None if rejected else child_score))
        nodes.append((commit, depth + 1, child_score))
        if parent_index == chain:
            chain = len(nodes) - 1
    elapsed = time.perf_counter() - started
    deepest = max(nodes, key=lambda n: n[1])
    shallowest = next((n for n in nodes if n[1] == 1), nodes[0])
    return BuildStats(n_agents, elapsed / max(1, n_agents - 1), deepest[1], deepest[0], shallowest[0])


def _record(rng: random.Random, parent: str | None, generation: int, score: float | None) -> Record:
    if score is None:
        return Record.new(status="rejected", parent=parent[:12] if parent else None, generation=generation,
                          reason="synthetic: no valid patch")
    attempted = 50 if score >= 0.4 else 10
    resolved = round(score * attempted)
    tasks = {f"task-{t:02d}": {"outcome": "resolved" if t < resolved else "unresolved", "duration": rng.uniform(5, 60)}
             for t in range(attempted)}
    return Record.new(status="evaluated", parent=parent[:12] if parent else None, generation=generation,
                      score=resolved / attempted, resolved=resolved, attempted=attempted, tasks=tasks,
                      creation={"cost_usd": rng.uniform(0.1, 1.0)}, evaluation={"cost_usd": rng.uniform(0.5, 3.0)})


def _edit_tree(repo: pygit2.Repository, tree: pygit2.Tree, path: str, data: bytes) -> str:
    """A copy of ``tree`` with one file replaced, touching only the trees on its path."""
    head, _, rest = path.partition("/")
    builder = repo.TreeBuilder(tree)
    if rest:
        sub = repo[tree[head].id]
        builder.insert(head, pygit2.Oid(hex=_edit_tree(repo, sub, rest, data)), pygit2.enums.FileMode.TREE)
    else:
        builder.insert(head, repo.create_blob(data), pygit2.enums.FileMode.BLOB)
    return str(builder.write())
