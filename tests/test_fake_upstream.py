"""The scripted upstream over real HTTP: matching, turns, options, validation, concurrency, standalone use."""

from __future__ import annotations

import functools
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gitdgm.errors import ConfigError
from gitdgm.gateway import fake as fake_module
from gitdgm.gateway.fake import FakeUpstream, serve_script
from gitdgm.gateway.listing import parse_listing
from gitdgm.gateway.script import Scenario, Script
from gitdgm.gateway.tokens import stated_window

SCRIPT = {
    "schema": 1,
    "scenario": [
        {"name": "system-b", "match": {"system": "variant B", "user": "add"}, "turns": [{"content": "B answers"}]},
        {
            "name": "add",
            "match": {"user": r"fix add\(\)"},
            "turns": [
                {"content": "Let me look.", "tool_calls": [{"name": "bash", "arguments": {"command": "cat calc.py"}}]},
                {"tool_calls": [{"name": "editor", "arguments_raw": "{not json"}]},
                {"content": '{"summary": "plain JSON text"}', "usage": {"prompt_tokens": 7, "completion_tokens": 3}},
            ],
        },
        {"name": "saw-error", "match": {"any": "Traceback"}, "turns": [{"content": "I saw the traceback"}]},
    ],
    "default": {"content": "no idea"},
}


@functools.cache
def http() -> httpx.Client:
    """One client for all requests (a new one per request costs ~50 ms of TLS setup, even for http://)."""
    return httpx.Client(timeout=10)


def chat(url: str, messages: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    return http().post(f"{url}/chat/completions", json={"model": "m", "messages": messages} | extra)


def user(text: str, system: str = "You are variant A.") -> list[dict[str, Any]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


def chunks(streamed: httpx.Response) -> list[dict[str, Any]]:
    """The events of a streamed reply, which ends with ``[DONE]``."""
    events = [line.removeprefix("data: ") for line in streamed.text.split("\n\n") if line]
    assert streamed.headers["content-type"] == "text/event-stream" and events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def streamed_text(streamed: httpx.Response) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks(streamed) if c["choices"])


def test_turns_follow_the_number_of_assistant_messages() -> None:
    with serve_script(SCRIPT) as url:
        messages = user("please fix add() in calc.py")
        first = chat(url, messages).json()
        call = first["choices"][0]["message"]["tool_calls"][0]
        assert first["choices"][0]["finish_reason"] == "tool_calls"
        assert call["function"] == {"name": "bash", "arguments": '{"command": "cat calc.py"}'}
        messages += [first["choices"][0]["message"], {"role": "tool", "tool_call_id": call["id"], "content": "x"}]
        second = chat(url, messages).json()["choices"][0]["message"]
        assert second["tool_calls"][0]["function"]["arguments"] == "{not json"
        messages += [second, {"role": "tool", "tool_call_id": "call_1_0", "content": "bad json"}]
        third = chat(url, messages).json()
        assert third["choices"][0] == {
            "index": 0,
            "message": {"role": "assistant", "content": '{"summary": "plain JSON text"}'},
            "finish_reason": "stop",
        }
        assert third["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        messages.append(third["choices"][0]["message"])
        for _ in range(2):  # past the end: "Done." with no tool calls, however long it goes on
            done = chat(url, messages).json()["choices"][0]
            assert done["message"] == {"role": "assistant", "content": "Done."} and done["finish_reason"] == "stop"
            messages.append(done["message"])


def test_scenarios_match_in_order_and_default_answers_the_rest() -> None:
    with serve_script(SCRIPT) as url:

        def answer(messages: list[dict[str, Any]]) -> str:
            return chat(url, messages).json()["choices"][0]["message"]["content"]

        assert answer(user("fix add() please", system="I am variant B")) == "B answers"
        assert answer(user("fix add() please")) == "Let me look."
        assert (
            answer(user("hello") + [{"role": "tool", "tool_call_id": "c", "content": "Traceback (most recent"}])
            == "I saw the traceback"
        )
        assert answer(user("hello")) == "no idea"


def test_no_match_without_default_is_a_clear_400() -> None:
    with serve_script({"schema": 1, "scenario": [{"name": "only", "match": {"user": "xyz"}, "turns": []}]}) as url:
        reply = chat(url, user("something else"))
    assert reply.status_code == 400
    assert "no scenario of <script> matches (first user message: 'something else')" in reply.json()["error"]["message"]


class BrokenScript(Script):
    """A script in Python (as benchmarks/search's landscape model is) with a bug in it."""

    def choose(self, messages: list[Any]) -> Scenario | None:
        raise KeyError("genome")


def test_a_script_that_fails_answers_500_saying_why_and_the_server_goes_on() -> None:
    with FakeUpstream(BrokenScript("python", (), None)) as fake:
        reply = chat(fake.base_url, user("anything"))
        assert reply.status_code == 500
        assert reply.json()["error"]["message"] == "scripted upstream failed: KeyError: 'genome'"
        assert http().get(f"{fake.base_url}/models").status_code == 200


def test_default_usage_is_deterministic_and_always_present() -> None:
    with serve_script(SCRIPT) as url:
        first, second = (chat(url, user("hello")).json()["usage"] for _ in range(2))
        longer = chat(url, user("hello " * 100)).json()["usage"]
    assert first == second and first["total_tokens"] == first["prompt_tokens"] + first["completion_tokens"]
    assert longer["prompt_tokens"] > first["prompt_tokens"] > 0


def test_error_turns_are_counted_safely_under_concurrency() -> None:
    script = {"schema": 1, "scenario": [{"name": "flaky", "turns": [{"content": "ok", "status": 503, "times": 3}]}]}
    with FakeUpstream(script) as fake:
        statuses: list[int] = []
        threads = [
            threading.Thread(target=lambda: statuses.append(chat(fake.base_url, user("hi")).status_code))
            for _ in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert sorted(statuses) == [200] * 9 + [503] * 3
        assert len(fake.requests_seen) == 12


def test_concurrent_conversations_get_their_own_turns() -> None:
    turns = [{"content": f"turn {n}", "delay": 0.5} for n in range(4)]
    with FakeUpstream({"schema": 1, "scenario": [{"name": "s", "turns": turns}]}) as fake:
        results: dict[int, str] = {}

        def converse(depth: int) -> None:
            messages = user("go") + [{"role": "assistant", "content": "x"}] * depth
            results[depth] = chat(fake.base_url, messages).json()["choices"][0]["message"]["content"]

        started = time.monotonic()
        threads = [threading.Thread(target=converse, args=(d,)) for d in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert results == {d: f"turn {d}" for d in range(4)}
        assert time.monotonic() - started < 1.5  # 4 x 0.5 s, served in parallel, not one after another
        assert fake.in_flight_max == 4


def test_in_flight_max_counts_requests_answered_at_once() -> None:
    with FakeUpstream(SCRIPT) as fake:
        for _ in range(3):
            chat(fake.base_url, user("hello"))
        assert fake.in_flight_max == 1


def test_streamed_replies_are_server_sent_events() -> None:
    with serve_script(SCRIPT) as url:
        plain = chat(url, user("please fix add() now")).json()
        streamed = chat(url, user("please fix add() now"), stream=True, stream_options={"include_usage": True})
        without_usage = chat(url, user("please fix add() now"), stream=True)
    events = chunks(streamed)
    deltas = [c["choices"][0]["delta"] for c in events if c["choices"]]
    assert streamed_text(streamed) == "Let me look."
    arguments = "".join(t["function"].get("arguments", "") for d in deltas for t in d.get("tool_calls", []))
    assert arguments == plain["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert events[-1] == events[-1] | {"choices": [], "usage": plain["usage"]}
    assert "usage" not in without_usage.text


def test_models_and_unsupported_requests() -> None:
    with serve_script(SCRIPT) as url:
        assert http().get(f"{url}/models").json()["data"][0]["id"] == "scripted"
        assert http().post(f"{url}/chat/completions", content=b"not json").status_code == 400
        assert http().post(f"{url}/embeddings", json={}).status_code == 404


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ({"scenario": []}, "<script>: schema: must be 1"),
        ({"schema": 1, "scenarios": []}, "<script>: scenarios: unknown top-level key"),
        ({"schema": 1, "scenario": [{"turns": []}]}, "<script>: scenario 0: field 'name' must be a string"),
        (
            {"schema": 1, "scenario": [{"name": "s", "match": {"user": "("}}]},
            "<script>: scenario 's': match.user is not a valid regex",
        ),
        (
            {"schema": 1, "scenario": [{"name": "s", "match": {"assistant": "x"}}]},
            "'match' must be a table with keys user, system, any",
        ),
        (
            {"schema": 1, "scenario": [{"name": "s", "turns": [{"status": 200}]}]},
            "scenario 's' turn 0: field 'status' must be an HTTP error status",
        ),
        (
            {"schema": 1, "scenario": [{"name": "s", "turns": [{"content": "x", "times": 2}]}]},
            "'times' must be a positive integer, given with 'status'",
        ),
        (
            {"schema": 1, "scenario": [{"name": "s", "turns": [{"contents": "x"}]}]},
            "scenario 's' turn 0: unknown field(s) ['contents']",
        ),
        ({"schema": 1, "scenario": [{"name": "s", "turns": [{}]}]}, "needs 'content', 'tool_calls' or 'status'"),
        (
            {"schema": 1, "scenario": [{"name": "s", "turns": [{"tool_calls": [{"arguments": {}}]}]}]},
            "turn 0 tool_calls[0]: must be a table with a string 'name'",
        ),
        (
            {"schema": 1, "scenario": [{"name": "s", "turns": [{"content": "x", "usage": {"prompt_tokens": 1}}]}]},
            "'usage' must be {prompt_tokens = N, completion_tokens = N}",
        ),
        (
            {"schema": 1, "default": {"delay": -1, "content": "x"}},
            "<script>: default: field 'delay' must be a number of seconds >= 0",
        ),
        ({"schema": 1, "server": []}, "<script>: server: must be a table ([server])"),
        ({"schema": 1, "server": {"window": 1}}, "<script>: server: unknown field(s) ['window'] (expected"),
        ({"schema": 1, "server": {"models": []}}, "field 'models' must be a non-empty array of names"),
        ({"schema": 1, "server": {"models": ["a", 1]}}, "field 'models' must be a non-empty array of names"),
        ({"schema": 1, "server": {"context_window": 0}}, "field 'context_window' must be a positive number"),
        ({"schema": 1, "server": {"context_window": True}}, "field 'context_window' must be a positive number"),
        ({"schema": 1, "server": {"stream_usage": "no"}}, "field 'stream_usage' must be true or false"),
        ({"schema": 1, "server": {"tool_choice_required": "fail"}}, 'must be "ok" or "error"'),
    ],
)
def test_invalid_scripts_are_config_errors(script: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        FakeUpstream(script)
    assert message in str(error.value)


TOOL_TURN = {"tool_calls": [{"name": "bash", "arguments": {"command": "ls"}}]}


def server_script(**server: Any) -> dict[str, Any]:
    return {"schema": 1, "server": server, "scenario": [
        {"name": "tool", "match": {"user": "run"}, "turns": [TOOL_TURN]},
        {"name": "say", "match": {"user": "say"}, "turns": [TOOL_TURN | {"content": "Let me run ls."}]},
        {"name": "long", "match": {"user": "long"}, "turns": [{"content": "word " * 100}]}]}


def test_server_lists_its_models_and_states_its_window_like_vllm() -> None:
    with serve_script(server_script(models=["big", "small"], context_window=4096)) as url:
        listed = http().get(f"{url}/models")
    with serve_script(server_script(context_window=4096, list_window=False)) as quiet_url:
        quiet = http().get(f"{quiet_url}/models")
    assert [(m["id"], m["max_model_len"]) for m in listed.json()["data"]] == [("big", 4096), ("small", 4096)]
    assert parse_listing(listed.content).window("small") == 4096
    assert quiet.json()["data"] == [{"id": "scripted", "object": "model", "created": 0, "owned_by": "gitdgm"}]


def test_context_window_refuses_prompt_and_max_tokens_past_it_in_llama_cpp_pythons_words() -> None:
    with serve_script(server_script(context_window=1024)) as url:
        fits = chat(url, user("long"), max_tokens=500)
        too_long = chat(url, user("long " * 1000))
        too_many = chat(url, user("long"), max_tokens=1000)
    assert fits.status_code == 200
    for refused in (too_long, too_many):
        message = refused.json()["error"]["message"]
        assert refused.status_code == 400
        assert message.startswith("Requested tokens (") and message.endswith(") exceed context window of 1024")
        assert stated_window(message) == 1024
    assert int(too_many.json()["error"]["message"].split("(")[1].split(")")[0]) > 1000


def test_max_tokens_cuts_the_reply_with_finish_reason_length() -> None:
    with serve_script(server_script()) as url:
        cut = chat(url, user("long"), max_tokens=5).json()
        newer = chat(url, user("long"), max_completion_tokens=5, max_tokens=50).json()
        whole = chat(url, user("long"), max_tokens=500).json()
        streamed = chat(url, user("long"), max_tokens=5, stream=True)
    assert cut["choices"][0]["message"]["content"] == "word " * 4
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] == 5
    assert newer["choices"][0] == cut["choices"][0]
    assert whole["choices"][0]["message"]["content"] == "word " * 100
    assert whole["choices"][0]["finish_reason"] == "stop" and whole["usage"]["completion_tokens"] == 125
    assert streamed_text(streamed) == "word " * 4 and chunks(streamed)[-1]["choices"][0]["finish_reason"] == "length"


def test_stream_usage_false_sends_no_usage_even_when_asked() -> None:
    with serve_script(server_script(stream_usage=False)) as url:
        streamed = chat(url, user("say"), stream=True, stream_options={"include_usage": True})
    assert streamed_text(streamed) == "Let me run ls." and all("usage" not in c for c in chunks(streamed))


@pytest.mark.parametrize(("setting", "status"), [("ok", 200), ("error", 500)])
def test_tool_choice_required(setting: str, status: int) -> None:
    with serve_script(server_script(tool_choice_required=setting)) as url:
        required = chat(url, user("run"), tool_choice="required")
        auto = chat(url, user("run"), tool_choice="auto")
    assert required.status_code == status and auto.status_code == 200
    if status == 500:
        assert "tool_choice 'required' is not supported" in required.json()["error"]["message"]


def test_tools_need_choice_drops_tool_calls_without_tool_choice() -> None:
    with serve_script(server_script(tools_need_choice=True)) as url:
        bare = chat(url, user("run")).json()["choices"][0]
        said = chat(url, user("say")).json()["choices"][0]
        asked = [chat(url, user("run"), tool_choice=c).json()["choices"][0] for c in ("auto", "required")]
    assert bare == {"index": 0, "message": {"role": "assistant", "content": "I would run a command."},
                    "finish_reason": "stop"}
    assert said["message"] == {"role": "assistant", "content": "Let me run ls."}
    assert all(a["message"]["tool_calls"][0]["function"]["name"] == "bash" for a in asked)
    with serve_script(server_script()) as url:  # by default tool calls need no tool_choice
        assert chat(url, user("run")).json()["choices"][0]["finish_reason"] == "tool_calls"


def test_a_client_that_hangs_up_during_the_delay_cancels_its_request() -> None:
    script = {"schema": 1, "scenario": [{"name": "slow", "turns": [{"content": "late", "delay": 30}]}]}
    with FakeUpstream(script) as fake:
        body = json.dumps({"model": "m", "messages": user("go")}).encode()
        host, port = fake.base_url.removeprefix("http://").split("/")[0].split(":")
        started = time.monotonic()
        with socket.create_connection((host, int(port))) as client:
            client.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            while not fake.requests_seen:
                time.sleep(0.01)
        while not fake.cancelled and time.monotonic() - started < 10:
            time.sleep(0.01)
        assert fake.cancelled == fake.requests_seen and fake.cancelled[0]["body"]["messages"] == user("go")
        assert time.monotonic() - started < 5  # it stopped waiting, long before the 30 s delay
    with FakeUpstream({"schema": 1, "default": {"content": "prompt", "delay": 0.2}}) as patient:
        assert chat(patient.base_url, user("x")).json()["choices"][0]["message"]["content"] == "prompt"
        assert patient.cancelled == []


def test_the_documented_example_is_a_working_script(tmp_path: Path) -> None:
    example = textwrap.dedent(fake_module.__doc__.split("::\n")[1].split("\nScenarios are tried")[0])
    (tmp_path / "example.toml").write_text(example)
    with serve_script(tmp_path / "example.toml") as url:
        messages = user("please fix add", system="You are a coding agent.")
        first = chat(url, messages).json()["choices"][0]["message"]
        second = chat(url, messages + [first]).json()["choices"][0]["message"]
        assert first["content"] == "Let me look." and second["tool_calls"][0]["function"]["name"] == "editor"
        assert chat(url, user("anything else")).json()["choices"][0]["message"]["content"] == "I cannot help with that."


def test_script_files_are_read_and_bad_files_named(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('schema = 1\n[[scenario]]\nname = "s"\n[[scenario.turns]]\ncontent = "from a file"\n')
    with serve_script(good) as url:
        assert chat(url, user("x")).json()["choices"][0]["message"]["content"] == "from a file"
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = \n")
    with pytest.raises(ConfigError, match=rf"^{bad}: invalid TOML"):
        FakeUpstream(bad)
    with pytest.raises(ConfigError, match="cannot read the script"):
        FakeUpstream(tmp_path / "missing.toml")


def test_standalone_command(tmp_path: Path) -> None:
    script = tmp_path / "s.toml"
    script.write_text('schema = 1\n[default]\ncontent = "standalone"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitdgm.gateway.fake", str(script)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        url = line.split(" at ")[1].split()[0]
        assert chat(url, user("x")).json()["choices"][0]["message"]["content"] == "standalone"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run(
        [sys.executable, "-m", "gitdgm.gateway.fake", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.toml'}: cannot read the script (No such file or directory)"
    ]
