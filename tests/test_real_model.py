"""gitdgm against a real OpenAI-compatible server running a real small model (tests/fixtures_real_model.py).

The model, SmolLM2-135M, cannot fix code: these tests assert what gitdgm relies on, never task success.
``gitdgm model check`` reports what the server does, as asked here directly with httpx; the gateway's reply cap
holds; the real seed agent calls a tool through the real gateway; a token budget stops ``gitdgm step`` with exit 4.

What llama-cpp-python 0.3.36 with ``--chat_format chatml-function-calling`` does (found by hand; what gitdgm relies
on is asserted below): it shows the model the tools only when a request sends ``tool_choice``; "auto" calls a tool
(grammar-constrained, the arguments mostly nonsense), "required" answers HTTP 500 with an empty message, a named
function works. With "auto" it ignores ``max_tokens``: arguments that run away fill the window, and the server then
refuses its own longer prompt with HTTP 400 context_length_exceeded (so the cap is asserted on calls without tools,
and seed runs with tools are kept short). Streams carry no usage chunk though ``stream_options.include_usage`` asks
for one. An oversized prompt is refused with HTTP 400 "This model's maximum context length is 2048 tokens. However,
you requested ..." (code context_length_exceeded). ``GET /v1/models`` lists one model (id, object, owned_by,
permissions; no context size) and any model name in a request is answered. One request runs at a time, GET
/v1/models included. Sampling without a ``seed`` follows a fixed chain from the server's start, so the same
requests in the same order after a start get the same replies.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from click.testing import CliRunner
from eval_helpers import make_archive
from fixtures_real_model import RealModel

from gitdgm.cli.main import cli
from gitdgm.gateway import CallLimits, Gateway, RunEndpoint
from gitdgm.gateway.check import READ_FILE_TOOL, TOOL_CAP, TOOL_PROMPT

pytestmark = [pytest.mark.real_model, pytest.mark.slow]

AGENT_DIR = Path(__file__).resolve().parent.parent / "seed_agent"
PROBLEM = "add() in calc.py returns the difference instead of the sum. Fix it."
STORY = [{"role": "user", "content": "Write a long story about a dragon who learns to code."}]
BUDGET = 3000  # tokens: three or four calls of the seed agent
CAP = 24  # the gateway's reply cap in the seed runs: tiny, so that the model reaches it


def server_facts(model: RealModel) -> dict[str, Any]:
    """What the server does, asked directly (no gitdgm code): the same questions ``gitdgm model check`` asks."""
    ask = [{"role": "user", "content": TOOL_PROMPT}]  # the check's question; the call is whatever the model makes
    facts: dict[str, Any] = {}
    with httpx.Client(base_url=model.base_url, timeout=120, trust_env=False) as http:
        facts["listed"] = [m["id"] for m in http.get("/models").json()["data"]]

        def chat(**body: Any) -> httpx.Response:
            return http.post("/chat/completions", json={"model": model.name} | body)

        refused = chat(messages=[{"role": "user", "content": "1 2 3 " * model.context_window}], max_tokens=8)
        facts["oversized"] = (refused.status_code, refused.json()["error"]["message"])
        plain = chat(messages=[{"role": "user", "content": "Count from 1 to 500."}], max_tokens=16).json()
        facts["usage"] = plain.get("usage")
        facts["capped"] = plain["usage"]["completion_tokens"] <= 16 or plain["choices"][0]["finish_reason"] == "length"
        hello = [{"role": "user", "content": "Say hello."}]
        with http.stream("POST", "/chat/completions", json={
                "model": model.name, "messages": hello, "max_tokens": 8, "stream": True,
                "stream_options": {"include_usage": True}}) as stream:
            chunks = [json.loads(line[5:]) for line in stream.iter_lines()
                      if line.startswith("data:") and line[5:].strip() != "[DONE]"]
        facts["stream_chunks"] = len(chunks)
        facts["stream_usage"] = any(chunk.get("usage") for chunk in chunks)
        for choice in ("auto", "required"):
            answer = chat(messages=ask, tools=[READ_FILE_TOOL], tool_choice=choice, max_tokens=TOOL_CAP, temperature=0)
            called = answer.status_code == 200 and bool(answer.json()["choices"][0]["message"].get("tool_calls"))
            overran = answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] > TOOL_CAP
            facts[choice] = (answer.status_code, called, overran)
    return facts


def test_model_check_reports_what_the_server_does(real_model: RealModel, monkeypatch, tmp_path: Path) -> None:
    """First in the module: the server's first requests, so the same every run (see the module's docstring)."""
    facts = server_facts(real_model)
    monkeypatch.chdir(tmp_path)  # outside any archive: gitdgm's defaults
    result = CliRunner().invoke(cli, ["model", "check", "--base-url", real_model.base_url, "--model",
                                      real_model.name, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    verdicts = {c["name"]: c["verdict"] for c in report["checks"]}
    evidence = {c["name"]: c["evidence"] for c in report["checks"]}

    assert verdicts["reachable"] == "ok"
    assert verdicts["model listed"] == ("ok" if real_model.name in facts["listed"] else "no")
    status, refusal = facts["oversized"]
    assert status == 400 and f"maximum context length is {real_model.context_window} tokens" in refusal
    assert verdicts["context window"] == "ok" and str(real_model.context_window) in evidence["context window"]
    assert report["settings"]["model.agent"]["context_window"] == real_model.context_window
    assert report["settings"]["model.agent"]["max_tokens"] <= real_model.context_window // 2
    assert verdicts["completion"] == "ok"
    assert verdicts["usage"] == ("ok" if facts["usage"] else "no")
    assert verdicts["max_tokens"] == ("ok" if facts["capped"] else "no")
    assert facts["stream_chunks"] > 0
    assert verdicts["stream usage"] == ("ok" if facts["stream_usage"] else "no")
    for choice in ("auto", "required"):
        status, called, overran = facts[choice]
        assert verdicts[f"tools ({choice})"] == ("ok" if called else "no"), evidence[f"tools ({choice})"]
        if status != 200:
            assert f"HTTP {status}" in evidence[f"tools ({choice})"]
        warned = any(f"(tool_choice {choice!r}) the server ignored max_tokens" in w for w in report["warnings"])
        assert warned == overran, report["warnings"]
    working = "auto" if facts["auto"][1] else "required" if facts["required"][1] else "omit"
    assert report["settings"]["model.agent"]["tool_choice"] == working


def test_max_tokens_is_honoured_through_the_gateway(real_model: RealModel, gateway, openai_client) -> None:
    gw = gateway(real_model.base_url, api_key=None, upstream_timeout=120)
    endpoint = gw.open_run("probe", "story", CallLimits(max_tokens=200, timeout=60))
    client = openai_client(endpoint)
    asked = client.chat.completions.create(model=real_model.name, messages=STORY, max_tokens=12)
    capped = client.chat.completions.create(model=real_model.name, messages=STORY)  # the gateway adds its 200
    assert asked.usage.completion_tokens <= 12 and asked.choices[0].finish_reason == "length"
    assert asked.choices[0].message.content
    assert capped.usage.completion_tokens <= 200
    usage = gw.close_run(endpoint.token)
    assert usage.completion_tokens == asked.usage.completion_tokens + capped.usage.completion_tokens
    assert usage.estimated_tokens == 0  # counted from the server's usage


def run_seed_agent(tmp_path: Path, endpoint: RunEndpoint, model: RealModel, **extra: str) -> list[dict[str, Any]]:
    """The seed agent in a fresh repository, as the harness runs it (tests/test_seed_agent_e2e.py); its log events."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-q", "-m", "initial"]):
        subprocess.run(command, cwd=repo, check=True)
    (tmp_path / "problem.md").write_text(PROBLEM)
    env = os.environ | {
        "PYTHONPATH": str(AGENT_DIR), "GITDGM_AGENT_DIR": str(AGENT_DIR),
        "GITDGM_PROBLEM_FILE": str(tmp_path / "problem.md"), "GITDGM_OUTPUT_DIR": str(tmp_path / "out"),
        "GITDGM_TIME_LIMIT": "120", "GITDGM_MODEL": model.name, "OPENAI_BASE_URL": "http://gateway/v1",
        "GITDGM_GATEWAY_SOCKET": str(endpoint.socket), "OPENAI_API_KEY": endpoint.token,
        "GITDGM_MAX_TURNS": "3", "GITDGM_CONTEXT_TOKENS": str(model.context_window), "GITDGM_TEMPERATURE": "0",
        "GITDGM_BASH_TIMEOUT": "10",
    } | extra
    proc = subprocess.run([sys.executable, "-P", "-m", "dgm_agent"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads(line) for line in (tmp_path / "out" / "log.jsonl").read_text().splitlines()]


def transcript(gw: Gateway, endpoint: RunEndpoint) -> list[dict[str, Any]]:
    """The gateway's record of the run: one entry per call (the request as sent by the agent, the response)."""
    path = gw.transcript_path(endpoint.token)
    assert path is not None
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_seed_agent_calls_a_tool_with_tool_choice_auto(real_model: RealModel, gateway, tmp_path: Path) -> None:
    gw = gateway(real_model.base_url, api_key=None, upstream_timeout=120)
    endpoint = gw.open_run("seed", "calc", CallLimits(max_tokens=64, timeout=120))
    events = run_seed_agent(tmp_path, endpoint, real_model, GITDGM_TOOL_CHOICE="auto", GITDGM_MAX_TOKENS="64",
                            GITDGM_MAX_TURNS="2")
    usage = gw.close_run(endpoint.token)

    tools = [e for e in events if e["event"] == "tool"]
    assert tools and tools[0]["name"] in ("bash", "editor"), events
    # A clean end. The server ignores max_tokens with "auto": tool arguments that run away fill the window, and the
    # server then refuses its own longer prompt with HTTP 400 context_length_exceeded, which ends the run so.
    assert events[-1]["event"] == "end" and events[-1]["reason"] in ("done", "turn_limit", "context_overflow")
    calls = transcript(gw, endpoint)
    assert calls[0]["request"]["tool_choice"] == "auto" and calls[0]["response"]["choices"][0]["message"]["tool_calls"]
    answered = len([c for c in calls if c["status"] == 200])
    assert usage.requests == answered == events[-1]["turns"] and usage.errors == len(calls) - answered
    assert (usage.prompt_tokens, usage.completion_tokens) == (  # the agent and the gateway count the same
        events[-1]["usage"]["prompt_tokens"], events[-1]["usage"]["completion_tokens"])


def test_the_gateways_cap_holds_for_every_reply_of_a_seed_run(real_model: RealModel, gateway, tmp_path: Path) -> None:
    """The agent asks for 400 tokens a reply; the run's CallLimits say CAP, and the server gets CAP. No tools are
    sent (tool_choice omitted: the run goes over to the text protocol), as the server ignores max_tokens with
    tool_choice "auto"."""
    gw = gateway(real_model.base_url, api_key=None, upstream_timeout=120)
    endpoint = gw.open_run("seed", "calc", CallLimits(max_tokens=CAP, timeout=120))
    events = run_seed_agent(tmp_path, endpoint, real_model, GITDGM_TOOL_CHOICE="omit", GITDGM_MAX_TOKENS="400")
    gw.close_run(endpoint.token)

    calls = transcript(gw, endpoint)
    assert calls and all(c["request"]["max_tokens"] == 400 for c in calls)  # what the agent asked for
    completions = [c["response"]["usage"]["completion_tokens"] for c in calls]
    assert all(0 < n <= CAP for n in completions), completions
    finishes = [c["response"]["choices"][0]["finish_reason"] for c in calls]
    assert "length" in finishes, finishes  # the cap, not the model, ended a reply
    replies = [e for e in events if e["event"] == "model_response"]
    assert [r["usage"]["completion_tokens"] for r in replies] == completions


def test_a_token_budget_stops_the_step_with_exit_4(real_model: RealModel, docker_available: None,
                                                   tmp_path: Path) -> None:
    """In docker: a real model's commands are arbitrary (SmolLM2 tried a ``git clone``), so they run isolated."""
    path = tmp_path / "archive"
    make_archive(path, {"t1-add": "solve", "t2-max": "solve"}, workers=1, base_url=real_model.base_url)
    config = tomllib.loads((path / "gitdgm.toml").read_text())
    # no tools sent ("omit": the agent goes over to tool calls as text), so the server honours max_tokens: with
    # "auto" a reply can run on to the end of the window (slow, and not what this test is about)
    agent = {"max_tokens": 48, "context_window": real_model.context_window, "temperature": 0.0, "tool_choice": "omit"}
    config["model"] = {"name": real_model.name, "base_url": real_model.base_url, "retries": 1, "agent": agent}
    config["budget"] = {"max_tokens": BUDGET}
    config["sandbox"] = {"backend": "docker"}
    (path / "gitdgm.toml").write_text(tomli_w.dumps(config))  # the working tree's copy is what commands read

    argv = [sys.executable, "-c", "from gitdgm.cli.main import main; main()", "step", "-C", str(path), "--seed", "1"]
    step = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert step.returncode == 4, step.stdout + step.stderr
    assert "Traceback" not in step.stderr, step.stderr
    used = re.search(rf"budget exhausted \((\d+) tokens used of max_tokens = {BUDGET}\)", step.stderr)
    # spent, and passed by one call at most (a call alone may take what is left; its prompt and reply fit the window)
    assert used and BUDGET <= int(used.group(1)) < BUDGET + real_model.context_window, step.stderr
    assert "Stopped early" in step.stdout

    subprocess.run(["git", "-C", str(path), "fsck", "--strict", "--no-progress"], check=True, capture_output=True)
    listed = subprocess.run(["git", "-C", str(path), "notes", "--ref=dgm", "list"], capture_output=True, text=True,
                            check=True).stdout.split()
    records = [tomllib.loads(subprocess.run(["git", "-C", str(path), "notes", "--ref=dgm", "show", commit],
                                            capture_output=True, text=True, check=True).stdout)
               for commit in listed[1::2]]
    assert [r["status"] for r in records] in (["pending"], ["evaluating"])  # the seed, to be resumed; no child
