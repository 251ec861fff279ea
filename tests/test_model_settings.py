"""The model settings of ``gitdgm.toml`` as the gateway applies them, against the scripted upstream.

Each role's reply cap and time limit hold whatever the caller sends; transient failures are retried once, in the
gateway, never stacked; a call that times out or whose caller hangs up is closed upstream; a single-slot server
gets one call at a time; calls whose server sends no usage are counted by estimate; a dollar budget refuses a
model it cannot price.
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest
import tomli_w
from fixtures_model import TEST_API_KEY
from step_helpers import gitdgm, make_archive

from gitdgm.config import ModelConfig, parse_config
from gitdgm.errors import ConfigError
from gitdgm.gateway import Budget, CallLimits, RetryPolicy
from gitdgm.gateway.listing import parse_listing
from gitdgm.engine.services import resolve_role

ASK = [{"role": "user", "content": "hello"}]


def script(*turns: dict, server: dict | None = None) -> dict:
    data: dict = {"schema": 1, "scenario": [{"name": "s", "turns": list(turns)}]}
    return data | ({"server": server} if server else {})


def test_the_role_cap_is_added_to_calls_without_one_and_lowers_larger_ones(
    scripted_upstream, gateway, openai_client
) -> None:
    url = scripted_upstream(script({"content": "ok"}))
    gw = gateway(url)
    client = openai_client(gw.open_run("a", "t", CallLimits(max_tokens=100)))
    client.chat.completions.create(model="m", messages=ASK)
    client.chat.completions.create(model="m", messages=ASK, max_tokens=500)
    client.chat.completions.create(model="m", messages=ASK, max_tokens=40)
    client.chat.completions.create(model="m", messages=ASK, max_completion_tokens=900)
    sent = [r["body"] for r in scripted_upstream.requests_seen(url)]
    assert [(b.get("max_tokens"), b.get("max_completion_tokens")) for b in sent] == [
        (100, None), (100, None), (40, None), (None, 100)]


def test_transient_failures_are_retried_by_the_gateway_alone(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(script({"content": "never", "status": 503}))
    gw = gateway(url, retry=RetryPolicy(attempts=3, backoff=0.01))
    endpoint = gw.open_run("a", "t")
    client = openai_client(endpoint).with_options(max_retries=5)  # a client that would retry, if it were let
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(model="m", messages=ASK)
    assert failed.value.status_code == 503
    assert len(scripted_upstream.requests_seen(url)) == 3  # the policy's 3 attempts, not 3 x 6
    assert gw.close_run(endpoint.token).model_failures == 1


def test_a_call_past_its_time_limit_is_closed_upstream_retries_included(
    scripted_upstream, gateway, openai_client
) -> None:
    url = scripted_upstream(script({"content": "late", "delay": 5}))
    gw = gateway(url, retry=RetryPolicy(attempts=4, backoff=0.01))
    client = openai_client(gw.open_run("a", "t", CallLimits(timeout=0.5))).with_options(max_retries=0)
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(model="m", messages=ASK)
    assert time.monotonic() - started < 2.5  # one limit for the call, not one per attempt
    assert failed.value.status_code == 502 and "timed out after 0.5 s" in failed.value.message
    deadline = time.monotonic() + 3
    while not scripted_upstream.server(url).cancelled and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(scripted_upstream.server(url).cancelled) == 1  # the server saw the connection close


@pytest.mark.parametrize(("slots", "most"), [(1, 1), (0, 3)])
def test_a_single_slot_upstream_gets_one_call_at_a_time(scripted_upstream, gateway, openai_client, slots,
                                                         most) -> None:
    url = scripted_upstream(script({"content": "ok", "delay": 0.3}))
    gw = gateway(url, concurrency=slots)
    clients = [openai_client(gw.open_run("a", f"t{i}")) for i in range(3)]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        replies = list(pool.map(lambda c: c.chat.completions.create(model="m", messages=ASK), clients))
    assert [r.choices[0].message.content for r in replies] == ["ok"] * 3
    assert scripted_upstream.server(url).in_flight_max == most


def test_streams_without_usage_are_counted_by_estimate(scripted_upstream, gateway, openai_client) -> None:
    url = scripted_upstream(script({"content": "a streamed answer " * 20}, server={"stream_usage": False}))
    gw = gateway(url)
    endpoint = gw.open_run("a", "t")
    chunks = list(openai_client(endpoint).chat.completions.create(model="m", messages=ASK, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("a streamed answer")
    usage = gw.close_run(endpoint.token)
    assert usage.requests == 1 and usage.completion_tokens >= len("a streamed answer " * 20) // 4
    assert usage.estimated_tokens == usage.total_tokens > 0
    logged = json.loads(gw.transcript_path(endpoint.token).read_text().splitlines()[0])
    assert logged["response"]["usage_estimated"] is True


class LingeringStream(BaseHTTPRequestHandler):
    """An upstream that streams a short answer, then keeps the stream open a while after ``[DONE]``."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        delta = {"object": "chat.completion.chunk", "model": "m", "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "hello there"}, "finish_reason": "stop"}]}
        for event in (b"data: " + json.dumps(delta).encode() + b"\n\n", b"data: [DONE]\n\n"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
        time.sleep(1.5)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_stream_is_counted_before_the_agent_sees_its_end(gateway, openai_client) -> None:
    """An agent stops reading at [DONE] and its run may end at once, while the upstream takes a moment more to
    close the stream: the run's usage must already hold the call."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), LingeringStream)
    threading.Thread(target=upstream.serve_forever, args=(0.05,), daemon=True).start()
    try:
        gw = gateway(f"http://127.0.0.1:{upstream.server_address[1]}/v1")
        endpoint = gw.open_run("a", "t")
        chunks = list(openai_client(endpoint).chat.completions.create(model="m", messages=ASK, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello there"
        usage = gw.close_run(endpoint.token)
        assert usage.requests == 1 and usage.completion_tokens > 0
    finally:
        upstream.shutdown()
        upstream.server_close()


def test_a_dollar_budget_refuses_a_model_it_cannot_price(scripted_upstream, gateway, openai_client) -> None:
    gw = gateway(scripted_upstream(script({"content": "ok"})), prices={"priced": (1.0, 2.0)},
                 budget=Budget(max_usd=5.0))
    client = openai_client(gw.open_run("a", "t"))
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="free-lunch", messages=ASK)
    assert "'free-lunch' has no price" in refused.value.message
    assert client.chat.completions.create(model="priced", messages=ASK).choices[0].message.content == "ok"
    with pytest.raises(ConfigError, match=r"model 'local' has no price.*set budget.max_tokens instead"):
        parse_config('[model]\nname = "local"\n[budget]\nmax_usd = 2.0\n')


def test_roles_take_the_window_the_server_states_and_keep_replies_within_half_of_it() -> None:
    listing = parse_listing(json.dumps({"data": [{"id": "small", "max_model_len": 2048}]}).encode())
    model = ModelConfig(name="small")
    agent = resolve_role(model.role("agent"), listing)
    assert (agent.name, agent.context_window, agent.max_tokens) == ("small", 2048, 1024)
    assert resolve_role(model.role("agent"), None).context_window == 128_000  # nothing stated: the default
    model.diagnosis.context_window, model.diagnosis.name = 8192, "other"
    diagnosis = resolve_role(model.role("diagnosis"), listing)
    assert (diagnosis.name, diagnosis.context_window, diagnosis.max_tokens) == ("other", 8192, 4096)


def test_a_step_sends_each_role_its_settings(tmp_path: Path, scripted_upstream) -> None:
    """Through a whole step: the agent gets its settings in its environment and sends them; the diagnosis sends
    its own; the gateway caps both."""
    path = tmp_path / "archive"
    archive = make_archive(path)
    url = scripted_upstream(path / "model.toml")
    config = tomllib.loads((path / "gitdgm.toml").read_text())
    config["model"] |= {"base_url": url, "api_key_env": "GITDGM_TEST_KEY",
                        "agent": {"max_tokens": 300, "tool_choice": "required", "temperature": 0.25},
                        "diagnosis": {"max_tokens": 700, "context_window": 16000}}
    archive.commit_files({"gitdgm.toml": tomli_w.dumps(config).encode()}, "test: model settings per role")
    result = gitdgm(path, "step", env={"GITDGM_TEST_KEY": TEST_API_KEY})
    assert result.returncode == 0, result.stderr
    bodies = [r["body"] for r in scripted_upstream.requests_seen(url) if r["path"].endswith("/chat/completions")]
    agent_calls = [b for b in bodies if b.get("tools")]
    diagnosis_calls = [b for b in bodies if "improvement_proposal" in json.dumps(b["messages"])]
    assert agent_calls and diagnosis_calls
    assert {(b["max_tokens"], b.get("tool_choice"), b.get("temperature")) for b in agent_calls} == {
        (300, "required", 0.25)}
    assert {b["max_tokens"] for b in diagnosis_calls} == {700}
