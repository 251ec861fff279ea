"""The real seed agent, as a subprocess in a real git repository, driven by the scripted FM through the real gateway."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures_model import TEST_API_KEY

from gitdgm.gateway import RunEndpoint

pytestmark = pytest.mark.slow

AGENT_DIR = Path(__file__).resolve().parent.parent / "seed_agent"
CALC = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
PROBLEM = "add() in calc.py returns the difference instead of the sum. Fix it."
EXPECTED_DIFF = """\
diff --git a/calc.py b/calc.py
index 6dd399c..4c2d043 100644
--- a/calc.py
+++ b/calc.py
@@ -1,5 +1,5 @@
 def add(a, b):
-    return a - b
+    return a + b
 
 
 def sub(a, b):
"""


def bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}


def editor(**arguments: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": "editor", "arguments": arguments}]}


def script(*turns: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": 1,
        "scenario": [{"name": "calc", "match": {"user": r"add\(\) in calc\.py"}, "turns": list(turns)}],
    }


@dataclass
class Run:
    exit_code: int
    output: str
    out_dir: Path
    repo: Path
    duration: float

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out_dir / "log.jsonl").read_text().splitlines()]

    @property
    def end(self) -> dict[str, Any]:
        return self.events[-1]

    def diff(self) -> str:
        return subprocess.run(["git", "diff"], cwd=self.repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def run_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the seed agent the way the harness does: cwd = a fresh repo, the protocol's variables."""
    # A user's shell often holds the real key; the agent must get the run token instead.
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)

    def run(endpoint: RunEndpoint, *, time_limit: float = 60, **extra: str) -> Run:
        repo = tmp_path / "repo"
        repo.mkdir()
        (repo / "calc.py").write_text(CALC)
        for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "initial"]):
            subprocess.run(command, cwd=repo, check=True)
        (tmp_path / "problem.md").write_text(PROBLEM)
        out_dir = tmp_path / "out"
        env = (
            os.environ
            | {
                "PYTHONPATH": str(AGENT_DIR),
                "GITDGM_AGENT_DIR": str(AGENT_DIR),
                "GITDGM_PROBLEM_FILE": str(tmp_path / "problem.md"),
                "GITDGM_OUTPUT_DIR": str(out_dir),
                "GITDGM_TIME_LIMIT": str(time_limit),
                "GITDGM_MODEL": "scripted-model",
                "OPENAI_BASE_URL": "http://gateway/v1",
                "GITDGM_GATEWAY_SOCKET": str(endpoint.socket),
                "OPENAI_API_KEY": endpoint.token,
            }
            | extra
        )
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-P", "-m", "dgm_agent"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=time_limit + 30,
        )
        return Run(proc.returncode, proc.stdout + proc.stderr, out_dir, repo, time.monotonic() - started)

    return run


def tool_results(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["body"]["messages"] if m["role"] == "tool"]


def test_agent_fixes_the_bug_through_the_gateway(scripted_upstream, gateway, run_agent) -> None:
    url = scripted_upstream(
        script(
            {"content": "Let me look.", **bash("cat calc.py")},
            editor(
                command="str_replace",
                path="calc.py",
                old_str="def add(a, b):\n    return a - b",
                new_str="def add(a, b):\n    return a + b",
            ),
            bash("python3 -c 'import calc; print(calc.add(2, 3))'"),
            {"content": "Fixed: add() now returns a + b."},
        )
    )
    gw = gateway(url)
    endpoint = gw.open_run(agent="seed", task="calc")
    run = run_agent(endpoint)

    assert run.exit_code == 0, run.output
    assert run.diff() == EXPECTED_DIFF
    assert run.end["reason"] == "done" and run.end["turns"] == 4
    seen = scripted_upstream.requests_seen(url)
    assert "def add(a, b):\n    return a - b" in tool_results(seen[1])[0]  # the model saw what cat printed
    assert tool_results(seen[3])[-1].startswith("5\n")
    usage = gw.close_run(endpoint.token)
    assert usage.requests == 4 and usage.errors == 0
    assert usage.prompt_tokens == run.end["usage"]["prompt_tokens"]  # the agent and the gateway agree
    assert usage.completion_tokens == run.end["usage"]["completion_tokens"]
    assert seen[0]["body"]["model"] == "scripted-model" and [
        t["function"]["name"] for t in seen[0]["body"]["tools"]
    ] == ["bash", "editor"]


def test_tool_errors_go_back_to_the_model_and_the_run_goes_on(scripted_upstream, gateway, run_agent) -> None:
    url = scripted_upstream(
        script(
            editor(command="str_replace", path="calc.py", old_str="return a - b", new_str="return a + b"),
            editor(command="view", path="missing.py"),
            bash("sleep 10"),
            bash("python3 -c \"print('x' * 300000)\""),
            {"tool_calls": [{"name": "editor", "arguments_raw": "{not json"}]},
            {"content": "I give up."},
        )
    )
    gw = gateway(url)
    run = run_agent(gw.open_run(agent="seed", task="calc"), GITDGM_BASH_TIMEOUT="1")

    assert run.exit_code == 0, run.output
    assert run.end["reason"] == "done" and run.end["turns"] == 6
    results = [tool_results(r)[-1] for r in scripted_upstream.requests_seen(url)[1:]]
    assert "old_str is not unique: 2 matches" in results[0]
    assert "missing.py does not exist" in results[1]
    assert "timed out after 1 s" in results[2]
    assert "bytes of output cut" in results[3] and len(results[3]) < 100_000
    assert "not valid JSON" in results[4]
    assert run.diff() == ""


def test_turn_cap_ends_the_run_cleanly(scripted_upstream, gateway, run_agent) -> None:
    url = scripted_upstream(script(*[bash("true")] * 10))
    gw = gateway(url)
    run = run_agent(gw.open_run(agent="seed", task="calc"), GITDGM_MAX_TURNS="3")
    assert run.exit_code == 0, run.output
    assert run.end["reason"] == "turn_limit"
    assert len(scripted_upstream.requests_seen(url)) == 3


def test_time_cap_ends_the_run_cleanly(scripted_upstream, gateway, run_agent) -> None:
    gw = gateway(scripted_upstream(script(*[bash("sleep 0.5")] * 40)))
    run = run_agent(gw.open_run(agent="seed", task="calc"), time_limit=3)
    assert run.exit_code == 0, run.output
    assert run.end["reason"] == "time_limit"
    assert run.duration < 10


def test_upstream_down_ends_the_run_with_a_log(gateway, run_agent) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gw = gateway(f"http://127.0.0.1:{port}/v1")
    endpoint = gw.open_run(agent="seed", task="calc")
    run = run_agent(endpoint, time_limit=60)
    assert run.duration < 20
    assert run.exit_code == 3, run.output
    assert run.end["reason"] == "model_error"
    assert f"upstream http://127.0.0.1:{port}/v1 unreachable" in run.end["detail"]
    assert gw.close_run(endpoint.token).errors == 1  # retried by the gateway alone: the agent does not retry


def test_api_key_never_reaches_the_agent(scripted_upstream, gateway, run_agent, tmp_path) -> None:
    url = scripted_upstream(
        script(bash("env"), bash("echo $OPENAI_API_KEY; cat /proc/$PPID/environ | tr '\\0' '\\n'"), {"content": "ok"})
    )
    gw = gateway(url)
    endpoint = gw.open_run(agent="seed", task="calc")
    run = run_agent(endpoint)
    assert run.exit_code == 0, run.output

    seen = scripted_upstream.requests_seen(url)
    env_output, parent_env = tool_results(seen[1])[0], tool_results(seen[2])[-1]
    assert "GITDGM_GATEWAY_SOCKET=" in env_output  # the model really saw the agent's environment
    assert "OPENAI_API_KEY" not in env_output
    sent_to_model = json.dumps([s["body"] for s in seen])
    assert TEST_API_KEY not in sent_to_model and TEST_API_KEY not in parent_env
    assert {s["authorization"] for s in seen} == {f"Bearer {TEST_API_KEY}"}  # only the gateway used it
    agent_logs = [p.read_text() for p in run.out_dir.rglob("*") if p.is_file()]
    transcripts = [p.read_text() for p in (tmp_path / "transcripts").rglob("*.jsonl")]
    assert len(agent_logs) == 2 and not any(TEST_API_KEY in text or endpoint.token in text for text in agent_logs)
    assert transcripts and not any(TEST_API_KEY in text for text in transcripts)
    assert TEST_API_KEY not in run.output and endpoint.token not in run.output
