"""The model client against a scripted server over a real unix socket: retries, refusals, odd replies."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("openai", reason="the agent's model client needs the openai package")

from dgm_agent.model import ContextOverflow, Model, ModelError

MESSAGES = [{"role": "user", "content": "hi"}]


def _model(fake_model, retries: int = 3) -> tuple[Model, list[dict]]:
    retries_seen: list[dict] = []
    model = Model("fake-model", "http://gateway/v1", "gdgm-run-x", fake_model.socket_path, retries=retries,
                  retry_delay=0.01, on_retry=lambda **fields: retries_seen.append(fields))
    return model, retries_seen


def _deadline() -> float:
    return time.monotonic() + 20


def test_transient_errors_are_retried(fake_model) -> None:
    fake_model.add((500, {"error": {"message": "upstream broke"}}), (429, {"error": {"message": "slow down"}}),
                   fake_model.answer("hello"))
    model, retries = _model(fake_model)
    reply = model.complete(MESSAGES, [], _deadline())
    assert reply.message == {"role": "assistant", "content": "hello"}
    assert reply.usage["prompt_tokens"] == 10
    assert [r["attempt"] for r in retries] == [1, 2] and "HTTP 500" in retries[0]["error"]
    assert fake_model.requests[0]["model"] == "fake-model"
    assert fake_model.headers[0]["authorization"] == "Bearer gdgm-run-x"


def test_budget_refusal_is_not_retried(fake_model) -> None:
    fake_model.add((402, {"error": {"message": "budget exhausted"}}))
    model, retries = _model(fake_model)
    with pytest.raises(ModelError, match=r"HTTP 402.*budget exhausted"):
        model.complete(MESSAGES, [], _deadline())
    assert len(fake_model.requests) == 1 and not retries


def test_context_length_error_is_its_own_signal(fake_model) -> None:
    fake_model.add((400, {"error": {"message": "This model's maximum context length is 8192 tokens",
                                    "code": "context_length_exceeded"}}))
    with pytest.raises(ContextOverflow):
        _model(fake_model)[0].complete(MESSAGES, [], _deadline())


def test_a_reply_without_choices_is_retried_once(fake_model) -> None:
    fake_model.add({"choices": []}, fake_model.answer("second try"))
    model, _ = _model(fake_model)
    assert model.complete(MESSAGES, [], _deadline()).message["content"] == "second try"
    fake_model.add({"choices": []}, {"choices": []})
    with pytest.raises(ModelError, match="no choices twice"):
        model.complete(MESSAGES, [], _deadline())


def test_tool_calls_become_plain_messages_with_string_content(fake_model) -> None:
    reply = fake_model.calls(("bash", {"command": "ls"}))
    del reply["choices"][0]["message"]["tool_calls"][0]["id"]  # some servers send no id
    fake_model.add(reply)
    message = _model(fake_model)[0].complete(MESSAGES, [], _deadline()).message
    assert message["content"] == "" and message["tool_calls"][0]["function"] == {
        "name": "bash", "arguments": '{"command": "ls"}'}
    assert message["tool_calls"][0]["id"].startswith("call_")


def test_unreachable_socket_gives_up_after_the_retries(short_dir) -> None:
    model = Model("m", "http://gateway/v1", "k", str(short_dir / "missing.sock"), retries=2, retry_delay=0.01)
    started = time.monotonic()
    with pytest.raises(ModelError, match="gave up after 3 failed attempts; last error: APIConnectionError"):
        model.complete(MESSAGES, [], _deadline())
    assert time.monotonic() - started < 5
