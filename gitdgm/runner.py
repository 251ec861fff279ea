"""Run one agent on one problem through the agent protocol (docs/internals.md): the one place that knows it.

Both jobs of an agent use this: solving a benchmark task, and modifying itself (then the repository is a copy
of its own tree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitdgm.config import AgentRoleConfig
from gitdgm.gateway import CallLimits, Gateway, Usage
from gitdgm.sandbox import RunResult, Sandbox
from gitdgm.sandbox.readback import Untrusted, read_head_and_tail
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.workspace import AgentSpec, Changes, Workspace

LOG_TAIL = 20_000


@dataclass
class AgentRun:
    result: RunResult
    changes: Changes | None  # None when what the agent left could not be taken (``refused`` says why)
    usage: Usage
    transcript: str  # the agent's own transcript.md (head and tail), for the diagnosis
    log_tail: str  # the agent's stdout/stderr (tail)
    refused: str = ""

    @property
    def patch(self) -> str:
        return self.changes.patch() if self.changes else ""


def role_environment(role: AgentRoleConfig) -> dict[str, str]:
    """The agent role's model settings as the protocol passes them (seed_agent/README.md lists the variables)."""
    env = {"GITDGM_MODEL": role.name, "GITDGM_MAX_TOKENS": str(role.max_tokens),
           "GITDGM_CONTEXT_TOKENS": str(role.context_window), "GITDGM_TOOL_CHOICE": role.tool_choice,
           "GITDGM_TOOL_PROTOCOL": role.tool_protocol}
    if role.temperature is not None:
        env["GITDGM_TEMPERATURE"] = str(role.temperature)
    return env


def run_agent(*, sandbox: Sandbox, gateway: Gateway, spec: AgentSpec, agent_dir: Path, workspace: Workspace,
              problem: str, time_limit: float, role: AgentRoleConfig, agent_id: str, task_id: str,
              max_turns: int | None = None) -> AgentRun:
    """Run ``spec.entry`` in ``workspace``'s directory; its change is taken, as data, after it exits.

    ``role`` holds the resolved settings of the agent's calls (``Runtime.role``): they reach the agent in its
    environment, and the gateway applies its reply cap and time limit to each of its calls whatever it sends."""
    with scratch_dir("gitdgm-io-") as io_dir:
        (io_dir / "problem.md").write_text(problem, encoding="utf-8")
        (io_dir / "out").mkdir()
        io_dir.chmod(0o777)
        (io_dir / "out").chmod(0o777)
        env = {
            "PYTHONPATH": "{agent}", "GITDGM_AGENT_DIR": "{agent}", "GITDGM_PROBLEM_FILE": "{io}/problem.md",
            "GITDGM_OUTPUT_DIR": "{io}/out", "GITDGM_TIME_LIMIT": str(int(time_limit)),
            "OPENAI_BASE_URL": "http://gateway/v1", "GITDGM_GATEWAY_SOCKET": "{socket}",
            "PYTHONDONTWRITEBYTECODE": "1", **role_environment(role),
        }
        if max_turns:
            env["GITDGM_MAX_TURNS"] = str(max_turns)
        endpoint = gateway.open_run(agent_id, task_id, CallLimits(role.max_tokens, role.request_timeout))
        env["OPENAI_API_KEY"] = endpoint.token
        try:
            # a few seconds beyond the agent's own limit: it is told the limit and should stop itself
            result = sandbox.run(spec.entry, mounts={"repo": workspace.directory, "agent": agent_dir, "io": io_dir},
                                 cwd="{repo}", env=env, timeout=time_limit + 15, socket=endpoint.socket,
                                 read_only={"agent"})  # one copy serves all of an evaluation's runs
        finally:
            usage = gateway.close_run(endpoint.token)
        transcript = read_head_and_tail(io_dir, "out/transcript.md", LOG_TAIL)
    try:
        changes, refused = workspace.changes(), ""
    except Untrusted as why:
        changes, refused = None, f"what the agent left cannot be taken: {why}"
    return AgentRun(result, changes, usage, transcript, result.output[-LOG_TAIL:], refused)
