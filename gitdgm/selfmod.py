"""Making children: a parent runs on a throwaway copy of its own tree; the functional check; transplants.

The parent's code runs from one copy and edits another (a fresh repository, never a worktree of the archive), so
nothing it runs can touch the archive's refs or notes (DESIGN §4). The edited copy becomes the child's tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from gitdgm.archive import Agent, Archive
from gitdgm.errors import GitdgmError, SandboxError
from gitdgm.runner import AgentRun, run_agent
from gitdgm.runtime import Runtime, repo_limits
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.workspace import AgentSpecError, Workspace, read_agent_spec

CHECK_TIME_LIMIT = 300
# pytest's plugins come from where it is installed, not from the agent: kept out so that what the machine has
# installed neither sways the check nor costs it a second of imports per run
CHECK_ENV = {"PYTHONPATH": "{agent}", "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


@dataclass
class SelfModification:
    tree: str
    run: AgentRun


def self_modify(rt: Runtime, parent: Agent, statement: str) -> SelfModification:
    """Run ``parent`` on a copy of its own tree; the child's tree is what it leaves there, taken as data.

    Raises GitdgmError when the parent cannot run or what it left cannot be taken (too large, links swapped)."""
    with scratch_dir("gitdgm-selfmod-") as tmp:
        code = rt.archive.materialise(parent.commit, tmp / "agent")
        repo = rt.archive.materialise(parent.commit, tmp / "repo")
        try:
            spec = read_agent_spec(code)
        except AgentSpecError as exc:
            raise GitdgmError(f"agent {parent.id} cannot run: {exc}") from None
        workspace = Workspace(repo, rt.archive.repo, repo_limits(rt.config))
        run = run_agent(sandbox=rt.sandbox, gateway=rt.gateway, spec=spec, agent_dir=code, workspace=workspace,
                        problem=statement, time_limit=rt.config.selfmod.time_limit, role=rt.role("agent"),
                        agent_id=parent.id, task_id="self-modification", max_turns=rt.config.selfmod.max_turns)
        if run.changes is None:
            raise GitdgmError(f"agent {parent.id}'s self-modification: {run.refused}")
        return SelfModification(run.changes.tree, run)


def functional_check(rt: Runtime, agent: Agent) -> str | None:
    """Why ``agent`` cannot work (None when it can): a valid agent.toml, code that compiles, its own tests pass."""
    with scratch_dir("gitdgm-check-") as tmp:
        code = rt.archive.materialise(agent.commit, tmp / "agent")
        try:
            spec = read_agent_spec(code)
        except AgentSpecError as exc:
            return str(exc)
        if missing := _missing_entry(code, spec.entry):
            return missing
        checks = [["python3", "-m", "compileall", "-q", "."]] + ([spec.test_command] if spec.test_command else [])
        for command in checks:
            result = rt.sandbox.run(command, mounts={"agent": code}, cwd="{agent}",
                                    env=CHECK_ENV,
                                    timeout=CHECK_TIME_LIMIT)
            if command[0] == "python3" and result.exit_code in (126, 127):  # the sandbox's python, not the agent
                raise SandboxError(f"the sandbox cannot run python3 (exit {result.exit_code}): "
                                   f"{result.output[-300:].strip()}")
            if not result.ok:
                what = "timed out" if result.timed_out else f"failed (exit {result.exit_code})"
                return f"`{' '.join(command)}` {what}: {result.output[-600:].strip()}"
    return None


def _missing_entry(code: Path, entry: list[str]) -> str | None:
    """A ``python -m MODULE`` entry whose module is not in the tree (e.g. a child that deleted itself)."""
    if "-m" in entry[:-1]:
        module = entry[entry.index("-m") + 1].replace(".", "/")
        if not ((code / module / "__main__.py").is_file() or (code / f"{module}.py").is_file()):
            return f"its entry module {module!r} is missing from its tree (agent.toml entry = {entry})"
    return None


class TransplantConflict(GitdgmError):
    pass


def transplant(archive: Archive, improvement: Agent, onto: Agent, parent_of_improvement: Agent) -> str:
    """Apply the change that made ``improvement`` (its diff against its parent) onto ``onto``, in memory.

    Returns the new tree; raises TransplantConflict listing the conflicting paths, having written nothing.
    """
    repo = archive.repo
    base = repo[parent_of_improvement.commit].peel(pygit2.Tree)
    ours = repo[onto.commit].peel(pygit2.Tree)
    theirs = repo[improvement.commit].peel(pygit2.Tree)
    index = repo.merge_trees(base, ours, theirs)
    if index.conflicts is not None:
        paths = sorted({(entry.path) for trio in index.conflicts for entry in trio if entry is not None})
        raise TransplantConflict(f"transplanting {improvement.id} onto {onto.id} conflicts in: {', '.join(paths)}; "
                                 "nothing was written")
    tree = str(index.write_tree(repo))
    if tree == str(ours.id):
        raise TransplantConflict(f"{onto.id} already contains the change of {improvement.id}; nothing was written")
    return tree


def transplant_message(improvement: Agent, onto: Agent) -> tuple[str, str, dict[str, str]]:
    subject = f"Transplant {improvement.id} onto {onto.id}: {improvement.summary}"[:120]
    body = (f"The change that made agent {improvement.id} ({improvement.summary}) applied onto agent {onto.id}.")
    return subject, body, {"Gitdgm-Parent": onto.id, "Gitdgm-Transplant-Of": improvement.id}

