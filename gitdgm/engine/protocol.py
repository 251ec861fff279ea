"""The agent protocol (DESIGN §4), in one place: how an agent's tree says how to start it (``agent.toml``), how
it is run on one problem, and what is taken back from it.

Both jobs of an agent go through ``run_agent``: solving a benchmark task, and modifying itself (then the
repository is a copy of its own tree). The agent gets a fresh repository, the problem in a file, an output folder
and the gateway's socket; it never gets a handle on the archive or a key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from gitdgm.archive.scratch import Changes, Workspace
from gitdgm.config import AgentRoleConfig
from gitdgm.gateway import CallLimits, Gateway, Usage
from gitdgm.sandbox import RunResult, Sandbox
from gitdgm.sandbox.readback import Untrusted, read_capped, read_head_and_tail
from gitdgm.sandbox.scratch import scratch_dir

LOG_TAIL = 20_000
SPEC_LIMIT = 64 * 1024
GRACE_SECONDS = 15  # beyond the agent's own limit: it is told the limit and should stop itself


@dataclass(frozen=True)
class AgentSpec:
    """An agent tree's ``agent.toml``: how the harness starts it and how its own tests run."""

    name: str
    entry: list[str]
    test_command: list[str] | None


class AgentSpecError(ValueError):
    pass


def read_agent_spec(agent_dir: Path) -> AgentSpec:
    """``agent.toml`` of a materialised tree, read as hostile input (capped, never through a link)."""
    try:
        raw, cut = read_capped(agent_dir, "agent.toml", SPEC_LIMIT)
        if cut:
            raise AgentSpecError(f"agent.toml is larger than {SPEC_LIMIT // 1024} KiB")
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise AgentSpecError("agent.toml is missing from the agent's tree") from None
    except Untrusted as exc:
        raise AgentSpecError(f"agent.toml cannot be read: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AgentSpecError(f"agent.toml is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nesting level: a thousand brackets are enough
        raise AgentSpecError("agent.toml is not valid TOML: nested too deeply") from None
    entry, tests = data.get("entry"), data.get("test_command")
    if not (isinstance(entry, list) and entry and all(isinstance(a, str) for a in entry)):
        raise AgentSpecError("agent.toml: entry must be a non-empty list of strings (an argv)")
    if tests is not None and not (isinstance(tests, list) and tests and all(isinstance(a, str) for a in tests)):
        raise AgentSpecError("agent.toml: test_command must be a non-empty list of strings (an argv)")
    return AgentSpec(str(data.get("name", "agent")), entry, tests)


@dataclass(frozen=True)
class AgentRequest:
    """One run of an agent: whose code (``agent_dir``, read-only), on what (``workspace``, writable), for what
    (``problem``), within what (``time_limit`` seconds, ``max_turns``), and with which model settings (``role``,
    as ``Runtime.role`` resolved them). ``agent_id`` and ``task_id`` label its gateway run and its accounting."""

    spec: AgentSpec
    agent_dir: Path
    workspace: Workspace
    problem: str
    time_limit: float
    role: AgentRoleConfig
    agent_id: str
    task_id: str
    max_turns: int | None = None


@dataclass
class AgentRun:
    result: RunResult
    changes: Changes | None  # None when what the agent left could not be taken (``refused`` says why)
    usage: Usage
    transcript: str  # the agent's own transcript.md (head and tail), for the diagnosis
    log_tail: str  # the agent's stdout/stderr (tail)
    model_calls: str = ""  # its calls as the gateway relayed them (one line each, the tail): a log it cannot forge
    refused: str = ""

    @property
    def patch(self) -> str:
        return self.changes.patch() if self.changes else ""


def role_environment(role: AgentRoleConfig) -> dict[str, str]:
    """The agent role's model settings as the protocol passes them (seed_agent/README.md lists the variables)."""
    env = {
        "GITDGM_MODEL": role.name,
        "GITDGM_MAX_TOKENS": str(role.max_tokens),
        "GITDGM_CONTEXT_TOKENS": str(role.context_window),
        "GITDGM_TOOL_CHOICE": role.tool_choice,
        "GITDGM_TOOL_PROTOCOL": role.tool_protocol,
    }
    if role.temperature is not None:
        env["GITDGM_TEMPERATURE"] = str(role.temperature)
    return env


def run_agent(request: AgentRequest, sandbox: Sandbox, gateway: Gateway) -> AgentRun:
    """Run ``request.spec.entry`` in its workspace; the change is taken, as data, after the agent exits.

    The gateway applies the role's reply cap and time limit to each of the agent's calls, whatever it sends."""
    role = request.role
    with scratch_dir("gitdgm-io-") as io_dir:
        (io_dir / "problem.md").write_text(request.problem, encoding="utf-8")
        (io_dir / "out").mkdir()
        io_dir.chmod(0o777)
        (io_dir / "out").chmod(0o777)
        env = {
            "PYTHONPATH": "{agent}",
            "GITDGM_AGENT_DIR": "{agent}",
            "GITDGM_PROBLEM_FILE": "{io}/problem.md",
            "GITDGM_OUTPUT_DIR": "{io}/out",
            "GITDGM_TIME_LIMIT": str(int(request.time_limit)),
            "OPENAI_BASE_URL": "http://gateway/v1",
            "GITDGM_GATEWAY_SOCKET": "{socket}",
            "PYTHONDONTWRITEBYTECODE": "1",
            **role_environment(role),
        }
        if request.max_turns:
            env["GITDGM_MAX_TURNS"] = str(request.max_turns)
        endpoint = gateway.open_run(
            request.agent_id, request.task_id, CallLimits(role.max_tokens, role.request_timeout)
        )
        env["OPENAI_API_KEY"] = endpoint.token
        try:
            result = sandbox.run(
                request.spec.entry,
                cwd="{repo}",
                env=env,
                socket=endpoint.socket,
                mounts={"repo": request.workspace.directory, "agent": request.agent_dir, "io": io_dir},
                timeout=request.time_limit + GRACE_SECONDS,
                read_only={"agent"},
            )  # one copy serves all of an evaluation's runs
        finally:
            usage = gateway.close_run(endpoint.token)
        model_calls = gateway.calls_summary(endpoint.token, LOG_TAIL)
        transcript = read_head_and_tail(io_dir, "out/transcript.md", LOG_TAIL)
    try:
        changes, refused = request.workspace.changes(), ""
    except Untrusted as why:
        changes, refused = None, f"what the agent left cannot be taken: {why}"
    return AgentRun(result, changes, usage, transcript, result.output[-LOG_TAIL:], model_calls, refused)
