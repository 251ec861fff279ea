"""Self-modification: a parent runs on a throwaway copy of its own tree, and what it leaves is the child's tree.

The parent's code runs from one copy and edits another (a fresh repository, never a worktree of the archive), so
nothing it runs can touch the archive's refs or notes (DESIGN §4). With ``selfmod.meta_agent = "seed"`` (the DGM
paper's "without self-improvement" ablation) the code that runs is always the seed's, still on a copy of the
parent's tree and still accounted to the parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitdgm.archive import Agent
from gitdgm.engine.protocol import AgentRequest, AgentRun, AgentSpecError, read_agent_spec, run_agent
from gitdgm.engine.services import Runtime
from gitdgm.errors import GitdgmError
from gitdgm.sandbox.scratch import scratch_dir

SELF_MODIFICATION = "self-modification"  # the task id of a parent's run on itself (accounting, progress)


@dataclass
class SelfModification:
    tree: str
    run: AgentRun


def self_modify(rt: Runtime, parent: Agent, statement: str) -> SelfModification:
    """Run ``parent`` (or the seed, per ``selfmod.meta_agent``) on a copy of the parent's tree; the child's tree is
    what it leaves there, taken as data.

    Raises GitdgmError when the parent cannot run or what it left cannot be taken (too large, links swapped)."""
    with scratch_dir("gitdgm-selfmod-") as tmp:
        selfmod = rt.config.selfmod
        coder = rt.archive.index.seed() if selfmod.meta_agent == "seed" else parent
        code = rt.archive.materialise(coder.commit, tmp / "agent")
        repo = rt.archive.materialise(parent.commit, tmp / "repo")
        try:
            spec = read_agent_spec(code)
        except AgentSpecError as exc:
            raise GitdgmError(f"agent {coder.id} cannot run: {exc}") from None
        request = AgentRequest(
            spec,
            code,
            rt.archive.workspace(repo, rt.repo_limits),
            statement,
            selfmod.time_limit,
            rt.role("agent"),
            parent.id,
            SELF_MODIFICATION,
            selfmod.max_turns,
        )
        run = run_agent(request, rt.sandbox, rt.gateway)
        if run.changes is None:
            raise GitdgmError(f"agent {parent.id}'s self-modification: {run.refused}")
        return SelfModification(run.changes.tree, run)
