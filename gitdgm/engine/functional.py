"""The functional check (the DGM's): a child is kept only if its ``agent.toml`` is valid, its code compiles and
its own tests pass, run in the sandbox like everything the agent wrote."""

from __future__ import annotations

from pathlib import Path

from gitdgm.archive import Agent
from gitdgm.engine.protocol import AgentSpecError, read_agent_spec
from gitdgm.engine.services import Runtime
from gitdgm.errors import SandboxError
from gitdgm.sandbox.scratch import scratch_dir

CHECK_TIME_LIMIT = 300
# pytest's plugins come from where it is installed, not from the agent: kept out so that what the machine has
# installed neither sways the check nor costs it a second of imports per run
CHECK_ENV = {"PYTHONPATH": "{agent}", "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def functional_check(rt: Runtime, agent: Agent) -> str | None:
    """Why ``agent`` cannot work (None when it can). Raises SandboxError when the sandbox itself cannot run
    Python: that is not the agent's failure."""
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
            result = rt.sandbox.run(
                command, mounts={"agent": code}, cwd="{agent}", env=CHECK_ENV, timeout=CHECK_TIME_LIMIT
            )
            if command[0] == "python3" and result.exit_code in (126, 127):  # the sandbox's python, not the agent
                raise SandboxError(
                    f"the sandbox cannot run python3 (exit {result.exit_code}): {result.output[-300:].strip()}"
                )
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
