"""The gateway, driven by the real openai client over its unix socket, against the scripted upstream."""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import socket
import stat
import tempfile
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fixtures_model import TEST_API_KEY

from gitdgm.errors import BudgetExceeded, ConfigError
from gitdgm.gateway import Budget, Gateway, RetryPolicy, RunEndpoint, Usage
from gitdgm.gateway.accounting import Ledger
from gitdgm.gateway.scrub import Scrubber

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


def exchange(connection: socket.socket, request: str | bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes over a connected socket and read one HTTP response: (status, headers, body)."""
    connection.sendall(request.encode() if isinstance(request, str) else request)
    response = http.client.HTTPResponse(connection)  # type: ignore[arg-type]
    response.begin()
    return response.status, dict(response.getheaders()), response.read()


def fixed_usage(prompt: int, completion: int, turns: int = 5) -> dict[str, Any]:
    turn = {"content": "ok", "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}
    return {"schema": 1, "scenario": [{"name": "s", "turns": [turn] * turns}]}


def test_counts_match_upstream_usage_over_a_session(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    run = gw.open_run(agent="a1", task="t1")
    replies = converse(openai_client(run), "please fix the bug", turns=4)

    assert [r.choices[0].message.content for r in replies] == ["Let me look.", None, "Fixed.", "Done."]
    usage = gw.close_run(run.token)
    assert usage.requests == 4 and usage.errors == 0
    assert usage.prompt_tokens == sum(r.usage.prompt_tokens for r in replies)
    assert usage.completion_tokens == sum(r.usage.completion_tokens for r in replies)
    assert gw.total == usage
    assert gw.totals_by_agent() == {"a1": usage} and gw.totals_by_task() == {"t1": usage}
    # The upstream got the real key and the whole conversation; the agent only ever held its token.
    seen = scripted_upstream.requests_seen(url)
    assert [s["authorization"] for s in seen] == [f"Bearer {TEST_API_KEY}"] * 4
    assert run.token.startswith("gdgm-run-") and TEST_API_KEY not in run.token


def test_transcript_is_linear_and_reconstructs_the_conversation(scripted_upstream, gateway, openai_client) -> None:
    gw = gateway(scripted_upstream(SESSION))
    run = gw.open_run(agent="a1", task="t1")
    converse(openai_client(run), "please fix the bug", turns=3)
    gw.close_run(run.token)

    lines = [json.loads(line) for line in gw.transcript_path(run.token).read_text().splitlines()]
    assert [line["status"] for line in lines] == [200, 200, 200]
    assert [line["messages_from"] for line in lines] == [0, 2, 4]
    rebuilt = [m for line in lines for m in line["messages"]]
    assert [m["role"] for m in rebuilt] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert lines[2]["response"]["choices"][0]["message"]["content"] == "Fixed."
    assert lines[0]["request"] == {"model": "test-model"}
    # A second run of the same agent and task gets its own file.
    again = gw.open_run(agent="a1", task="t1")
    assert gw.transcript_path(again.token) != gw.transcript_path(run.token)


def test_cost_from_prices_and_unknown_model_warns_once(scripted_upstream, gateway, openai_client, caplog) -> None:
    gw = gateway(scripted_upstream(fixed_usage(1000, 500)), prices={"priced": (2.0, 8.0)})
    run = gw.open_run(agent="a", task="t")
    client = openai_client(run)
    client.chat.completions.create(model="priced", messages=[{"role": "user", "content": "hi"}])
    assert gw.usage(run.token).cost_usd == pytest.approx(1000 * 2.0 / 1e6 + 500 * 8.0 / 1e6)

    with caplog.at_level(logging.WARNING, logger="gitdgm.gateway"):
        for _ in range(2):
            client.chat.completions.create(model="mystery", messages=[{"role": "user", "content": "hi"}])
    assert gw.usage(run.token).cost_usd == pytest.approx(0.006)
    assert gw.usage(run.token).prompt_tokens == 3000
    assert [r.getMessage() for r in caplog.records].count(
        "gitdgm gateway: no price for model 'mystery'; its cost is counted as 0"
    ) == 1


@pytest.mark.parametrize("budget", [Budget(max_tokens=2000), Budget(max_usd=0.004)])
def test_budget_stops_further_calls_with_402(scripted_upstream, gateway, openai_client, budget) -> None:
    url = scripted_upstream(fixed_usage(1000, 500))
    gw = gateway(url, budget=budget, prices={"m": (2.0, 0.0)})  # 1500 tokens, $0.002 a call
    client = openai_client(gw.open_run(agent="a", task="t"))
    for _ in range(2):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert gw.budget_exhausted

    second_run = openai_client(gw.open_run(agent="b", task="t"))  # the budget is shared across runs
    with pytest.raises(openai.APIStatusError) as refused:
        second_run.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 402
    assert refused.value.code == "budget_exceeded"
    assert refused.value.body["message"].startswith("gitdgm: budget exhausted (")
    assert len(scripted_upstream.requests_seen(url)) == 2  # the client did not retry; the upstream saw nothing
    assert gw.totals_by_agent()["b"] == Usage(errors=1, model_failures=1)  # the budget, not the agent
    with pytest.raises(BudgetExceeded, match="budget exhausted"):
        gw.check_budget()


def test_upstream_500_twice_then_200_is_retried(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(
        {"schema": 1, "scenario": [{"name": "flaky", "turns": [{"content": "ok", "status": 500, "times": 2}]}]}
    )
    gw = gateway(url)
    run = gw.open_run(agent="a", task="t")
    reply = openai_client(run).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "ok"
    assert len(scripted_upstream.requests_seen(url)) == 3
    assert gw.close_run(run.token) == Usage(1, reply.usage.prompt_tokens, reply.usage.completion_tokens, 0.0, 0)


def test_persistent_500_is_relayed_once_retries_are_spent(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "down", "turns": [{"status": 503}]}]})
    gw = gateway(url, retry=RetryPolicy(attempts=3, backoff=0.01))
    run = gw.open_run(agent="a", task="t")
    with pytest.raises(openai.InternalServerError) as failed:
        openai_client(run).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert failed.value.status_code == 503
    assert len(scripted_upstream.requests_seen(url)) == 3  # the gateway's 3 attempts; x-should-retry stops the client's
    assert gw.close_run(run.token).errors == 1


def test_retry_after_is_honoured_within_the_cap(scripted_upstream, gateway, openai_client) -> None:
    turns = [
        {"content": "ok", "status": 429, "times": 1, "retry_after": 0.3},
        {"content": "ok", "status": 429, "times": 1, "retry_after": 60},
    ]
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "limited", "turns": turns}]})
    gw = gateway(url, retry=RetryPolicy(attempts=3, backoff=0.01, max_wait=0.5))
    client = openai_client(gw.open_run(agent="a", task="t"))
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
    run = gw.open_run(agent="a", task="t")
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as failed:
        openai_client(run).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert time.monotonic() - started < 5
    assert failed.value.status_code == 502
    assert f"upstream http://127.0.0.1:{port}/v1 unreachable after 3 attempts" in failed.value.message
    assert gw.close_run(run.token) == Usage(errors=1, model_failures=1)  # the upstream, not the agent


def test_a_token_works_only_on_its_own_endpoint_and_while_its_run_lives(
    scripted_upstream, gateway, openai_client
) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    a, b = gw.open_run(agent="a", task="t"), gw.open_run(agent="b", task="t")
    assert a.socket.parent != b.socket.parent
    assert [p.name for p in a.socket.parent.iterdir()] == ["gw.sock"]  # alone in a fresh folder of its own
    for forged in ("gdgm-run-forged", b.token):  # another run's token is refused on this run's socket
        with pytest.raises(openai.AuthenticationError, match="unknown or closed run token"):
            openai_client(RunEndpoint(forged, a.socket)).models.list()
    client = openai_client(a)
    assert [m.id for m in client.models.list()] == ["scripted"]
    with socket.socket(socket.AF_UNIX) as idle:
        idle.connect(str(a.socket))  # a connection that is open when the run ends
        assert exchange(idle, f"GET /v1/models HTTP/1.1\r\nAuthorization: Bearer {a.token}\r\n\r\n")[0] == 200
        gw.close_run(a.token)
        idle.settimeout(5)
        assert idle.recv(1) == b""  # hung up by the gateway
    assert not a.socket.parent.exists()
    with pytest.raises(openai.APIConnectionError):  # the kept-alive connection is gone and the socket too
        client.with_options(max_retries=0).models.list()
    assert [m.id for m in openai_client(b).models.list()] == ["scripted"]  # the other run is untouched
    assert [s["path"] for s in scripted_upstream.requests_seen(url)] == ["/v1/models"] * 3


def test_upstream_refusing_the_key_is_reported_without_its_body(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream({"schema": 1, "scenario": [{"name": "s", "turns": [{"status": 401}]}]})
    gw = gateway(url)
    with pytest.raises(openai.AuthenticationError) as refused:
        openai_client(gw.open_run(agent="a", task="t")).chat.completions.create(
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
    run = gw.open_run(agent="a", task="t")
    headers = {"Authorization": f"Bearer {run.token}"}
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(run.socket)), base_url="http://gw") as http:
        body = {"model": "m", "messages": [{"role": "user", "content": "fix the bug"}]}
        assert (
            http.post("/chat/completions", json=body, headers=headers).json()["choices"][0]["message"]["content"]
            == "Let me look."
        )
        assert http.get("/models", headers=headers).status_code == 200
        assert http.post("/v1/chat/completions", content=b"{nope", headers=headers).status_code == 400
        assert http.post("/v1/embeddings", json={}, headers=headers).status_code == 404
    assert gw.close_run(run.token).errors == 1


@pytest.mark.parametrize("include_usage", [False, True])
def test_streams_pass_through_and_are_counted(scripted_upstream, gateway, openai_client, include_usage) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url)
    run = gw.open_run(agent="a", task="t")
    client = openai_client(run)
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
    assert gw.close_run(run.token) == Usage(2, 2 * plain.usage.prompt_tokens, 2 * plain.usage.completion_tokens, 0.0, 0)
    assert scripted_upstream.requests_seen(url)[0]["body"]["stream_options"] == {"include_usage": True}
    streamed = json.loads(gw.transcript_path(run.token).read_text().splitlines()[0])
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


def test_agent_hanging_up_cancels_its_call_upstream(scripted_upstream, gateway, openai_client, capfd) -> None:
    slow = {
        "schema": 1,
        "scenario": [{"name": "slow", "turns": [{"content": "late", "delay": 5}, {"content": "ok"}]}],
    }
    url = scripted_upstream(slow)
    gw = gateway(url)
    run = gw.open_run(agent="a", task="t")
    client = openai_client(run)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3, max_retries=0).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}]
        )
    deadline = time.monotonic() + 3
    while not scripted_upstream.server(url).cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(scripted_upstream.server(url).cancelled) == 1  # the upstream saw its connection close
    assert time.monotonic() - started < 3  # long before the 5 s answer
    reply = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "late"}]
    )
    assert reply.choices[0].message.content == "ok"
    usage = gw.close_run(run.token)
    assert (usage.requests, usage.errors, usage.model_failures) == (1, 1, 0)  # the agent's doing, not the model's
    assert len(scripted_upstream.requests_seen(url)) == 2  # the abandoned call was not retried
    assert "Traceback" not in capfd.readouterr().err


def test_key_never_reaches_transcripts_or_logs(scripted_upstream, gateway, openai_client, caplog, tmp_path) -> None:
    flaky = {"content": "ok", "status": 500, "times": 1}
    gw = gateway(scripted_upstream({"schema": 1, "scenario": [{"name": "s", "turns": [flaky, {"content": "ok"}]}]}))
    with caplog.at_level(logging.DEBUG):
        run = gw.open_run(agent="a", task="t")
        converse(openai_client(run), f"my key is not {TEST_API_KEY[:6]}", turns=2)
        gw.close_run(run.token)
    assert caplog.records  # the retry was logged
    assert TEST_API_KEY not in caplog.text
    transcripts = list((tmp_path / "transcripts").rglob("*.jsonl"))
    texts = [p.read_text() for p in transcripts]
    assert texts and all(TEST_API_KEY not in text and run.token not in text for text in texts)


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
    runs = {i: gw.open_run(agent=f"agent{i % 2}", task=f"task{i}") for i in range(1, 7)}
    answers: dict[int, list[str]] = {}

    def run(i: int) -> None:
        answers[i] = [r.choices[0].message.content for r in converse(openai_client(runs[i]), f"run {i}", turns=i)]

    threads = [threading.Thread(target=run, args=(i,)) for i in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {i: [f"reply {i}"] * i for i in runs}
    for i, endpoint in runs.items():
        assert gw.close_run(endpoint.token) == Usage(i, 10 * i * i, i * i, 0.0, 0)
    assert gw.totals_by_agent()["agent0"].requests == 2 + 4 + 6
    assert gw.total.requests == 21


class _QuotingUpstream(BaseHTTPRequestHandler):
    """An upstream that quotes the Authorization header it got (in its body and a header) and other credentials,
    at the status its request's model names (``status-400``), streamed when asked."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        status = int(request["model"].removeprefix("status-"))
        leak = f"you sent '{auth}', key {auth.removeprefix('Bearer ')}, also sk-other{'K' * 20} and ghp_{'a' * 36}"
        usage = {"prompt_tokens": 3, "completion_tokens": 4}
        choice = {"index": 0, "message": {"role": "assistant", "content": leak}, "finish_reason": "stop"}
        content_type = "application/json"
        if request.get("stream"):
            content_type = "text/event-stream"
            chunks = [
                {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": leak}}]},
                {"object": "chat.completion.chunk", "choices": [], "usage": usage},
            ]
            data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        elif status == 200:
            data = json.dumps({"object": "chat.completion", "model": "m", "choices": [choice], "usage": usage})
        else:
            data = json.dumps({"error": {"message": leak, "type": "invalid_request_error"}})
        body = data.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Echo-Authorization", auth)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def quoting_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _QuotingUpstream)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("status", [200, 400, 500, "stream"])
def test_credentials_are_scrubbed_from_what_is_relayed_and_written(
    quoting_upstream, gateway, tmp_path, status
) -> None:
    gw = gateway(quoting_upstream)
    run = gw.open_run(agent="a", task="t")
    body = {"model": "status-200" if status == "stream" else f"status-{status}", "messages": [], "stream": False}
    body["stream"] = status == "stream"
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(run.socket)), base_url="http://gw") as http:
        reply = http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {run.token}"})
    gw.close_run(run.token)

    assert reply.status_code == (200 if status == "stream" else status)
    assert "you sent '[redacted]', key [redacted], also [redacted] and [redacted]" in reply.text  # relayed, scrubbed
    assert TEST_API_KEY not in reply.text and "ghp_" not in reply.text
    assert not any(TEST_API_KEY in v for v in reply.headers.values())
    assert {"x-echo-authorization", "set-cookie"}.isdisjoint(reply.headers)  # upstream headers are not relayed
    transcript = gw.transcript_path(run.token).read_text()
    assert "[redacted]" in transcript and TEST_API_KEY not in transcript and "ghp_" not in transcript


def test_scrubber_knows_escaped_keys_and_credential_shapes() -> None:
    key = 'p@ss"w/rd+1234567'
    scrubber = Scrubber([key])
    leaks = [key, "p%40ss%22w%2Frd%2B1234567", 'p@ss\\"w/rd+1234567', "Bearer abc.def-123456"]
    leaks += ["sk-proj-ABCDEFGHIJKLMNOP12", "gdgm-run-Zx9_-abc", f"ghp_{'x' * 36}", "AKIAABCDEFGHIJKLMNOP"]
    leaks += ["xoxb-1234567890-abcdef"]
    text = " | ".join(leaks).encode()
    assert scrubber.scrub(text) == b" | ".join([b"[redacted]"] * len(leaks))
    harmless = b"task-calculator-addition-bug: the bearer of bad news asked for sk-short"
    assert scrubber.scrub(harmless) == harmless


def test_bodies_over_the_limit_are_refused_before_they_are_read(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(SESSION)
    gw = gateway(url, max_request_bytes=64 * 1024)
    run = gw.open_run(agent="a", task="t")
    with pytest.raises(openai.APIStatusError) as refused:
        openai_client(run).chat.completions.create(model="m", messages=[{"role": "user", "content": "x" * 100_000}])
    assert refused.value.status_code == 413 and "over the limit of 65536 bytes" in refused.value.message

    auth = f"Authorization: Bearer {run.token}\r\n"
    heads = {
        413: f"POST /v1/chat/completions HTTP/1.1\r\n{auth}Content-Length: {100 * 2**20}\r\n\r\n",  # body never sent
        411: f"POST /v1/chat/completions HTTP/1.1\r\n{auth}Transfer-Encoding: chunked\r\n\r\n",
    }
    for expected, head in heads.items():
        with socket.socket(socket.AF_UNIX) as raw:
            raw.connect(str(run.socket))
            raw.settimeout(5)  # the answer comes without the body: the gateway does not wait for it
            status, headers, _ = exchange(raw, head)
            assert (status, headers["Connection"]) == (expected, "close")

    tracemalloc.start()  # 100 MiB streamed at the gateway: it reads none of it into memory
    try:
        chunk = b"x" * 2**20
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(run.socket)), base_url="http://gw") as http:
            reply = http.post(
                "/v1/chat/completions",
                content=(chunk for _ in range(100)),
                headers={"Authorization": f"Bearer {run.token}", "Content-Length": str(100 * 2**20)},
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reply.status_code == 413 and peak < 8 * 2**20
    assert scripted_upstream.requests_seen(url) == []
    assert gw.close_run(run.token) == Usage()


def test_reservations_hold_the_budget_for_calls_in_flight() -> None:
    ledger = Ledger(budget=Budget(max_tokens=1000))
    ledger.open("r", "a", "t")
    first = ledger.reserve(["m"], 100, 500)
    with pytest.raises(BudgetExceeded, match="0 tokens used and 600 reserved by calls in flight"):
        ledger.reserve(["m"], 100, 400)  # 600 + 500 would pass 1000
    second = ledger.reserve(["m"], 100, 300)
    ledger.record("r", ["m"], {"prompt_tokens": 80, "completion_tokens": 120}, first)  # used 200 of its 600
    ledger.record("r", ["m"], {"prompt_tokens": 80, "completion_tokens": 120}, second)
    alone = ledger.reserve(["m"], 100, 5000)  # nothing else in flight: it may start with what is left
    assert alone.tokens == 600
    with pytest.raises(BudgetExceeded):
        ledger.reserve(["m"], 1, 1)


def test_concurrent_calls_stay_within_the_budget(scripted_upstream, gateway, openai_client) -> None:
    turn = {"content": "ok", "delay": 0.2, "usage": {"prompt_tokens": 10, "completion_tokens": 40}}
    gw = gateway(scripted_upstream({"schema": 1, "scenario": [{"name": "s", "turns": [turn]}]}),
                 budget=Budget(max_tokens=1000))
    client = openai_client(gw.open_run(agent="a", task="t")).with_options(max_retries=0)
    outcomes: list[int] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=40)
            outcomes.append(200)
        except openai.APIStatusError as exc:
            outcomes.append(exc.status_code)

    threads = [threading.Thread(target=call) for _ in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Each call reserves 40 + its prompt's estimate (> the 50 it uses): no call in flight can pass its reservation.
    assert sorted(set(outcomes)) == [200, 402] and len(outcomes) == 100
    assert gw.total.total_tokens == 50 * outcomes.count(200) <= 1000


def test_transcripts_are_never_written_through_links(scripted_upstream, gateway, openai_client, tmp_path, caplog):
    gw = gateway(scripted_upstream(fixed_usage(5, 5, turns=9)))
    outside = tmp_path / "outside.txt"
    outside.write_text("host file\n")
    run = gw.open_run(agent="a", task="t")
    client = openai_client(run)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "one"}])
    path = gw.transcript_path(run.token)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text().splitlines()) == 1
    path.unlink()
    path.symlink_to(outside)  # what a hostile agent would do, could it reach the file
    with caplog.at_level(logging.WARNING, logger="gitdgm.gateway"):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "$(two)"}])
    assert outside.read_text() == "host file\n"
    assert "was replaced or removed; no longer writing it" in caplog.text

    (path.parent / "t.2.jsonl").symlink_to(outside)  # a link planted where the next transcript would go
    again = gw.open_run(agent="a", task="t")
    openai_client(again).chat.completions.create(model="m", messages=[{"role": "user", "content": "three"}])
    assert gw.transcript_path(again.token).name == "t.3.jsonl" and outside.read_text() == "host file\n"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "transcripts" / "b").symlink_to(elsewhere)  # a linked agent folder is not used at all
    linked = gw.open_run(agent="b", task="t")
    openai_client(linked).chat.completions.create(model="m", messages=[{"role": "user", "content": "four"}])
    assert gw.transcript_path(linked.token) is None and list(elsewhere.iterdir()) == []


def test_gateway_directory_is_private_and_problems_are_clear(tmp_path: Path, scripted_upstream) -> None:
    with pytest.raises(ConfigError, match="must start with http:// or https://, not 'localhost:8000'"):
        Gateway("localhost:8000", None, tmp_path / "gw")
    with pytest.raises(ConfigError, match="gateway directory is longer than 88 bytes"):
        Gateway("http://127.0.0.1:1/v1", None, tmp_path / ("x" * 120))
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    for bad in (not_a_directory, shared):
        with pytest.raises(ConfigError, match="must be a directory"):
            Gateway("http://127.0.0.1:1/v1", None, bad).start()

    directory = Path(tempfile.mkdtemp(prefix="gdgm-")) / "gw"
    with Gateway(scripted_upstream(SESSION), None, directory) as gw:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        started = time.perf_counter()
        for _ in range(50):
            gw.close_run(gw.open_run(agent="a", task="t").token)
        assert (time.perf_counter() - started) / 50 < 0.02  # opening and closing a run is cheap
        run = gw.open_run(agent="a", task="t")
        assert run.socket.is_socket() and stat.S_IMODE(run.socket.parent.stat().st_mode) == 0o755
    assert list(directory.iterdir()) == []  # closing the gateway closed its runs
    shutil.rmtree(directory.parent)
