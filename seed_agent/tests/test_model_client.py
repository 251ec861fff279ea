"""The model client against a scripted server over a real unix socket: refusals, odd replies, no retries."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("openai", reason="the agent's model client needs the openai package")

from dgm_agent.model import ContextOverflow, Model, ModelError, ToolsRefused

MESSAGES = [{"role": "user", "content": "hi"}]


def _model(fake_model) -> Model:
    return Model("fake-model", "http://gateway/v1", "gdgm-run-x", fake_model.socket_path)


def _deadline() -> float:
    return time.monotonic() + 20


def test_the_request_carries_the_given_fields(fake_model) -> None:
    fake_model.add(fake_model.answer("hello"))
    reply = _model(fake_model).complete(MESSAGES, _deadline(), max_tokens=100, temperature=0.5)
    assert reply.message == {"role": "assistant", "content": "hello"} and reply.usage["prompt_tokens"] == 10
    request = fake_model.requests[0]
    assert (request["model"], request["max_tokens"], request["temperature"]) == ("fake-model", 100, 0.5)
    assert "tools" not in request and "tool_choice" not in request
    assert fake_model.headers[0]["authorization"] == "Bearer gdgm-run-x"


@pytest.mark.parametrize("status", [500, 429, 402])
def test_a_refusal_is_not_retried(fake_model, status: int) -> None:
    fake_model.add((status, {"error": {"message": "no luck"}}), fake_model.answer("too late"))
    with pytest.raises(ModelError, match=rf"HTTP {status}.*no luck"):
        _model(fake_model).complete(MESSAGES, _deadline())
    assert len(fake_model.requests) == 1  # the gateway retries; the agent must not multiply its attempts


def test_a_reply_without_choices_is_an_error(fake_model) -> None:
    fake_model.add({"choices": []}, fake_model.answer("second try"))
    with pytest.raises(ModelError, match="no choices"):
        _model(fake_model).complete(MESSAGES, _deadline())
    assert len(fake_model.requests) == 1


@pytest.mark.parametrize(("error", "window"), [
    ({"message": "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens "
                 "(5000 in the messages, 4000 in the completion).", "code": "context_length_exceeded"}, 8192),
    ({"message": "Requested tokens (9000) exceed context window of 2048", "type": "invalid_request_error"}, 2048),
    ({"code": 400, "message": "the request exceeds the available context size (2048 tokens)"}, 2048),
    ({"code": 400, "message": "request (9000 tokens) exceeds the available context size (4096 tokens), try "
                              "increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 9000,
      "n_ctx": 4096}, 4096),
    ({"code": 400, "message": "the request exceeds the available context size, try increasing it",
      "type": "exceed_context_size_error", "n_ctx": 2048}, 2048),
    ({"code": 400, "message": "the request exceeds the available context size, try increasing it"}, None),
    ({"message": "prompt is too long"}, None),
])
def test_a_context_overflow_states_the_window_when_the_server_does(fake_model, error: dict,
                                                                   window: int | None) -> None:
    fake_model.add((400, {"error": error}))
    with pytest.raises(ContextOverflow) as raised:
        _model(fake_model).complete(MESSAGES, _deadline())
    assert raised.value.window == window


@pytest.mark.parametrize(("status", "message"), [
    (400, "registry.ollama.ai/library/gemma3:4b does not support tools"),
    (500, "tools param requires --jinja flag"),
    (500, "Unsupported param: tools"),
    (400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'),
])
def test_a_refusal_of_tools_is_its_own_signal(fake_model, status: int, message: str) -> None:
    fake_model.add((status, {"error": {"message": message}}), (status, {"error": {"message": message}}))
    tools = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object", "properties": {}}}}]
    with pytest.raises(ToolsRefused):
        _model(fake_model).complete(MESSAGES, _deadline(), tools=tools)
    with pytest.raises(ModelError) as raised:  # without tools sent, the same words are a plain refusal
        _model(fake_model).complete(MESSAGES, _deadline())
    assert not isinstance(raised.value, ToolsRefused)


def test_tool_calls_become_plain_messages_with_string_content(fake_model) -> None:
    reply = fake_model.calls(("bash", {"command": "ls"}))
    del reply["choices"][0]["message"]["tool_calls"][0]["id"]  # some servers send no id
    fake_model.add(reply)
    message = _model(fake_model).complete(MESSAGES, _deadline()).message
    assert message["content"] == "" and message["tool_calls"][0]["function"] == {
        "name": "bash", "arguments": '{"command": "ls"}'}
    assert message["tool_calls"][0]["id"].startswith("call_")


def test_an_unreachable_socket_fails_at_once(short_dir) -> None:
    model = Model("m", "http://gateway/v1", "k", str(short_dir / "missing.sock"))
    started = time.monotonic()
    with pytest.raises(ModelError, match="APIConnectionError"):
        model.complete(MESSAGES, _deadline())
    assert time.monotonic() - started < 5
