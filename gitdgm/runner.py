"""Run one agent on one problem through the agent protocol (docs/internals.md): the one place that knows it.

Both jobs of an agent use this: solving a benchmark task, and modifying itself (then the repository is a copy
of its own tree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitdgm.gateway import Gateway, Usage
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


def run_agent(*, sandbox: Sandbox, gateway: Gateway, spec: AgentSpec, agent_dir: Path, workspace: Workspace,
              problem: str, time_limit: float, model: str, agent_id: str, task_id: str,
              max_turns: int | None = None) -> AgentRun:
    """Run ``spec.entry`` in ``workspace``'s directory; its change is taken, as data, after it exits."""
    with scratch_dir("gitdgm-io-") as io_dir:
        (io_dir / "problem.md").write_text(problem, encoding="utf-8")
        (io_dir / "out").mkdir()
        io_dir.chmod(0o777)
        (io_dir / "out").chmod(0o777)
        env = {
            "PYTHONPATH": "{agent}", "GITDGM_AGENT_DIR": "{agent}", "GITDGM_PROBLEM_FILE": "{io}/problem.md",
            "GITDGM_OUTPUT_DIR": "{io}/out", "GITDGM_TIME_LIMIT": str(int(time_limit)), "GITDGM_MODEL": model,
            "OPENAI_BASE_URL": "http://gateway/v1", "GITDGM_GATEWAY_SOCKET": "{socket}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if max_turns:
            env["GITDGM_MAX_TURNS"] = str(max_turns)
        endpoint = gateway.open_run(agent_id, task_id)
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
