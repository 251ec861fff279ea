"""The gateway, driven by the real openai client over its unix socket, against the scripted upstream."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fixtures_model import TEST_API_KEY

from gitdgm.errors import BudgetExceeded, ConfigError
from gitdgm.gateway import Budget, Gateway, RetryPolicy, Usage

SESSION = {
    "schema": 1,
    "scenario": [
        {
            "name": "fix",
            "match": {"user": "fix the bug"},
            "turns": [
                {"content": "Let me look.", "tool_calls": [{"name": "bash", "arguments": {"command": "cat calc.py"}}]},
                {"tool_calls": [{"name": "editor", "arguments": {"command": "view", "path": "calc.py"}}]},
                {"content": "Fixed."},
            ],
        }
    ],
}


def converse(client: openai.OpenAI, prompt: str, turns: int, model: str = "test-model") -> list[Any]:
    """Play an agent: send the conversation, append the reply and a tool result per call, repeat."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a test."},
        {"role": "user", "content": prompt},
    ]
    replies = []
    for _ in range(turns):
        reply = client.chat.completions.create(model=model, messages=messages)
        replies.append(reply)
        message = reply.choices[0].message
        messages.append(message.model_dump(exclude_none=True) | {"content": message.content or ""})
        for call in message.tool_calls or []:
            messages.append({"role": "tool", "tool_call_id": call.id, "content": f"output of {call.function.name}"})
    return replies


def fixed_usage(prompt: int, completion: int, turns: int = 5) -> dict[str, Any]:
    turn = {"content": "ok", "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}
    return {"schema": 1, "scenario": [{"name": "s", "turns": [turn] * turns}]}


def test_counts_match_upstream_usage_over_a_session(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    token = gw.open_run(agent="a1", task="t1")
    replies = converse(openai_client(gw, token), "please fix the bug", turns=4)

    assert [r.choices[0].message.content for r in replies] == ["Let me look.", None, "Fixed.", "Done."]
    usage = gw.close_run(token)
    assert usage.requests == 4 and usage.errors == 0
    assert usage.prompt_tokens == sum(r.usage.prompt_tokens for r in replies)
    assert usage.completion_tokens == sum(r.usage.completion_tokens for r in replies)
    assert gw.total == usage
    assert gw.totals_by_agent() == {"a1": usage} and gw.totals_by_task() == {"t1": usage}
    # The upstream got the real key and the whole conversation; the agent only ever held its token.
    seen = scripted_upstream.requests_seen(url)
    assert [s["authorization"] for s in seen] == [f"Bearer {TEST_API_KEY}"] * 4
    assert token.startswith("gdgm-run-") and TEST_API_KEY not in token


def test_transcript_is_linear_and_reconstructs_the_conversation(scripted_upstream, gateway, openai_client) -> None:
    gw = gateway(scripted_upstream(SESSION))
    token = gw.open_run(agent="a1", task="t1")
    converse(openai_client(gw, token), "please fix the bug", turns=3)
    gw.close_run(token)

    lines = [json.loads(line) for line in gw.transcript_path(token).read_text().splitlines()]
    assert [line["status"] for line in lines] == [200, 200, 200]
    assert [line["messages_from"] for line in lines] == [0, 2, 4]
    rebuilt = [m for line in lines for m in line["messages"]]
    assert [m["role"] for m in rebuilt] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert lines[2]["response"]["choices"][0]["message"]["content"] == "Fixed."
    assert lines[0]["request"] == {"model": "test-model"}
    # A second run of the same agent and task gets its own file.
    again = gw.open_run(agent="a1", task="t1")
    assert gw.transcript_path(again) != gw.transcript_path(token)


def test_cost_from_prices_and_unknown_model_warns_once(scripted_upstream, gateway, openai_client, caplog) -> None:
    gw = gateway(scripted_upstream(fixed_usage(1000, 500)), prices={"priced": (2.0, 8.0)})
    token = gw.open_run(agent="a", task="t")
    client = openai_client(gw, token)
    client.chat.completions.create(model="priced", messages=[{"role": "user", "content": "hi"}])
    assert gw.usage(token).cost_usd == pytest.approx(1000 * 2.0 / 1e6 + 500 * 8.0 / 1e6)

    with caplog.at_level(logging.WARNING, logger="gitdgm.gateway"):
        for _ in range(2):
            client.chat.completions.create(model="mystery", messages=[{"role": "user", "content": "hi"}])
    assert gw.usage(token).cost_usd == pytest.approx(0.006)
    assert gw.usage(token).prompt_tokens == 3000
    assert [r.getMessage() for r in caplog.records].count(
        "gitdgm gateway: no price for model 'mystery'; its cost is counted as 0"
    ) == 1


@pytest.mark.parametrize("budget", [Budget(max_tokens=2000), Budget(max_usd=0.004)])
def test_budget_stops_further_calls_with_402(scripted_upstream, gateway, openai_client, budget) -> None:
    url = scripted_upstream(fixed_usage(1000, 500))
    gw = gateway(url, budget=budget, prices={"m": (2.0, 0.0)})  # 1500 tokens, $0.002 a call
    client = openai_client(gw, gw.open_run(agent="a", task="t"))
    for _ in range(2):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert gw.budget_exhausted

    second_run = openai_client(gw, gw.open_run(agent="b", task="t"))  # the budget is shared across runs
    with pytest.raises(openai.APIStatusError) as refused:
        second_run.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 402
    assert refused.value.code == "budget_exceeded"
    assert refused.value.body["message"].startswith("gitdgm: budget exhausted (")
    assert len(scripted_upstream.requests_seen(url)) == 2  # the client did not retry; the upstream saw nothing
    assert gw.totals_by_agent()["b"] == Usage(errors=1)
    with pytest.raises(BudgetExceeded, match="budget exhausted"):
        gw.check_budget()


def test_upstream_500_twice_then_200_is_retried(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(
        {"schema": 1, "scenario": [{"name": "flaky", "turns": [{"content": "ok", "status": 500, "times": 2}]}]}
    )
    gw = gateway(url)
    token = gw.open_run(agent="a", task="t")
    reply = openai_client(gw, token).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "ok"
    assert len(scripted_upstream.requests_seen(url)) == 3
    assert gw.close_run(token) == Usage(1, reply.usage.prompt_tokens, reply.usage.completion_tokens, 0.0, 0)


def test_persistent_500_is_relayed_once_retries_are_spent(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "down", "turns": [{"status": 503}]}]})
    gw = gateway(url, retry=RetryPolicy(attempts=3, backoff=0.01))
    token = gw.open_run(agent="a", task="t")
    with pytest.raises(openai.InternalServerError) as failed:
        openai_client(gw, token).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert failed.value.status_code == 503
    assert len(scripted_upstream.requests_seen(url)) == 3  # the gateway's 3 attempts; x-should-retry stops the client's
    assert gw.close_run(token).errors == 1


def test_retry_after_is_honoured_within_the_cap(scripted_upstream, gateway, openai_client) -> None:
    turns = [
        {"content": "ok", "status": 429, "times": 1, "retry_after": 0.3},
        {"content": "ok", "status": 429, "times": 1, "retry_after": 60},
    ]
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "limited", "turns": turns}]})
    gw = gateway(url, retry=RetryPolicy(attempts=3, backoff=0.01, max_wait=0.5))
    client = openai_client(gw, gw.open_run(agent="a", task="t"))
    started = time.monotonic()
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert 0.3 <= time.monotonic() - started < 2
    started = time.monotonic()
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]
    )
    assert 0.5 <= time.monotonic() - started < 2  # 60 s asked, 0.5 s cap


def test_upstream_down_gives_a_clear_502_without_hanging(gateway, openai_client) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gw = gateway(f"http://127.0.0.1:{port}/v1")
    token = gw.open_run(agent="a", task="t")
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as failed:
        openai_client(gw, token).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert time.monotonic() - started < 5
    assert failed.value.status_code == 502
    assert f"upstream http://127.0.0.1:{port}/v1 unreachable after 3 attempts" in failed.value.message
    assert gw.close_run(token) == Usage(errors=1)


def test_unknown_and_closed_tokens_get_401(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    with pytest.raises(openai.AuthenticationError, match="unknown or closed run token"):
        openai_client(gw, "gdgm-run-forged").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    token = gw.open_run(agent="a", task="t")
    client = openai_client(gw, token)
    assert [m.id for m in client.models.list()] == ["scripted"]
    gw.close_run(token)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    assert [s["path"] for s in scripted_upstream.requests_seen(url)] == ["/v1/models"]


def test_upstream_refusing_the_key_is_reported_without_its_body(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "s", "turns": [{"status": 401}]}]})
    gw = gateway(url)
    with pytest.raises(openai.AuthenticationError) as refused:
        openai_client(gw, gw.open_run(agent="a", task="t")).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    assert refused.value.body == {
        "message": f"gitdgm gateway: upstream {url} refused gitdgm's API key (HTTP 401); check the key",
        "type": "upstream_auth",
        "code": "upstream_auth",
        "param": None,
    }
    assert len(scripted_upstream.requests_seen(url)) == 1  # not retried


def test_paths_without_v1_streams_and_bad_bodies(scripted_upstream, gateway) -> None:
    gw = gateway(scripted_upstream(SESSION))
    token = gw.open_run(agent="a", task="t")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(gw.socket_path)), base_url="http://gw") as http:
        body = {"model": "m", "messages": [{"role": "user", "content": "fix the bug"}]}
        assert (
            http.post("/chat/completions", json=body, headers=headers).json()["choices"][0]["message"]["content"]
            == "Let me look."
        )
        assert http.get("/models", headers=headers).status_code == 200
        assert http.post("/v1/chat/completions", content=b"{nope", headers=headers).status_code == 400
        assert http.post("/v1/embeddings", json={}, headers=headers).status_code == 404
    assert gw.close_run(token).errors == 1


@pytest.mark.parametrize("include_usage", [False, True])
def test_streams_pass_through_and_are_counted(scripted_upstream, gateway, openai_client, include_usage) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    token = gw.open_run(agent="a", task="t")
    client = openai_client(gw, token)
    messages = [{"role": "user", "content": "fix the bug"}]
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    chunks = list(client.chat.completions.create(model="m", messages=messages, stream=True, **options))
    plain = client.chat.completions.create(model="m", messages=messages)

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Let me look."
    assert (
        "".join(t.function.arguments or "" for d in deltas for t in d.tool_calls or []) == '{"command": "cat calc.py"}'
    )
    usage_chunks = [c.usage for c in chunks if c.usage]
    assert usage_chunks == ([plain.usage] if include_usage else [])  # the agent sees what it asked for
    assert gw.close_run(token) == Usage(2, 2 * plain.usage.prompt_tokens, 2 * plain.usage.completion_tokens, 0.0, 0)
    assert scripted_upstream.requests_seen(url)[0]["body"]["stream_options"] == {"include_usage": True}
    streamed = json.loads(gw.transcript_path(token).read_text().splitlines()[0])
    assert streamed["response"]["streamed"] is True
    assert streamed["response"]["choices"][0]["message"] == plain.choices[0].message.model_dump(exclude_none=True) | {
        "tool_calls": [
            {
                "id": "call_0_0",
                "type": "function",
                "function": {"name": "bash", "arguments": '{"command": "cat calc.py"}'},
            }
        ]
    }


def test_agent_hanging_up_is_quiet_and_counted(scripted_upstream, gateway, openai_client, capfd) -> None:
    slow = {
        "schema": 1,
        "scenario": [{"name": "slow", "turns": [{"content": "late", "delay": 0.5}, {"content": "ok"}]}],
    }
    gw = gateway(scripted_upstream(slow))
    token = gw.open_run(agent="a", task="t")
    client = openai_client(gw, token)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.1, max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    time.sleep(0.6)  # the gateway finishes the call and finds the agent gone
    reply = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "late"}]
    )
    assert reply.choices[0].message.content == "ok"
    assert gw.close_run(token).requests == 2  # the abandoned answer was still paid for
    assert "Traceback" not in capfd.readouterr().err


def test_key_never_reaches_transcripts_or_logs(scripted_upstream, gateway, openai_client, caplog, tmp_path) -> None:
    flaky = {"content": "ok", "status": 500, "times": 1}
    gw = gateway(scripted_upstream({"schema": 1, "scenario": [{"name": "s", "turns": [flaky, {"content": "ok"}]}]}))
    with caplog.at_level(logging.DEBUG):
        token = gw.open_run(agent="a", task="t")
        converse(openai_client(gw, token), f"my key is not {TEST_API_KEY[:6]}", turns=2)
        gw.close_run(token)
    assert caplog.records  # the retry was logged
    assert TEST_API_KEY not in caplog.text
    transcripts = list((tmp_path / "transcripts").rglob("*.jsonl"))
    assert transcripts and all(TEST_API_KEY not in p.read_text() and token not in p.read_text() for p in transcripts)


def test_concurrent_runs_are_attributed_to_their_run(scripted_upstream, gateway, openai_client) -> None:
    scenarios = [
        {
            "name": f"r{i}",
            "match": {"user": f"run {i}$"},
            "turns": [{"content": f"reply {i}", "usage": {"prompt_tokens": 10 * i, "completion_tokens": i}}] * 9,
        }
        for i in range(1, 7)
    ]
    gw = gateway(scripted_upstream({"schema": 1, "scenario": scenarios}))
    tokens = {i: gw.open_run(agent=f"agent{i % 2}", task=f"task{i}") for i in range(1, 7)}
    answers: dict[int, list[str]] = {}

    def run(i: int) -> None:
        answers[i] = [r.choices[0].message.content for r in converse(openai_client(gw, tokens[i]), f"run {i}", turns=i)]

    threads = [threading.Thread(target=run, args=(i,)) for i in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {i: [f"reply {i}"] * i for i in tokens}
    for i, token in tokens.items():
        assert gw.close_run(token) == Usage(i, 10 * i * i, i * i, 0.0, 0)
    assert gw.totals_by_agent()["agent0"].requests == 2 + 4 + 6
    assert gw.total.requests == 21


def test_socket_path_problems_are_clear(tmp_path: Path, scripted_upstream) -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://, not 'localhost:8000'"):
        Gateway("localhost:8000", None, tmp_path / "gw.sock")
    with pytest.raises(ConfigError, match="longer than 107 bytes"):
        Gateway("http://127.0.0.1:1/v1", None, tmp_path / ("x" * 120) / "gw.sock")
    not_a_socket = tmp_path / "file"
    not_a_socket.write_text("")
    with pytest.raises(ConfigError, match="not a socket"):
        Gateway("http://127.0.0.1:1/v1", None, not_a_socket).start()


def test_live_socket_is_not_stolen_and_stale_one_is_replaced(scripted_upstream, gateway) -> None:
    gw = gateway(scripted_upstream(SESSION))
    with pytest.raises(ConfigError, match="already listening"):
        Gateway("http://127.0.0.1:1/v1", None, gw.socket_path).start()
    stale = gw.socket_path.with_name("stale.sock")
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(stale))  # bound, never listening: what a killed gateway leaves behind
    with Gateway("http://127.0.0.1:1/v1", None, stale) as fresh:
        assert fresh.socket_path.is_socket()
    assert not stale.exists()
