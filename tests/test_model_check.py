"""``gitdgm model check`` through the real CLI against scripted servers imitating real ones; and the model lists."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pygit2
import pytest
from click.testing import CliRunner, Result

from gitdgm.cli.main import cli
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.gateway.listing import parse_listing

READ_NOTES = {"tool_calls": [{"name": "read_file", "arguments": {"path": "notes.txt"}}]}
SCENARIOS = [{"name": "tool", "match": {"user": "read_file tool"}, "turns": [READ_NOTES]},
             {"name": "count", "match": {"user": "Count from 1"}, "turns": [{"content": "1\n2\n3\n4\n5\n" * 40}]}]
#: OpenAI: tools with any tool_choice, usage in streams, no window in the model list but one in its refusals
OPENAI_LIKE = {"schema": 1, "server": {"models": ["gpt-test", "gpt-other"], "context_window": 8192,
                                       "list_window": False},
               "scenario": SCENARIOS, "default": {"content": "ready"}}
#: llama-cpp-python: tools only when tool_choice is set, "required" an error, a small window, no usage in streams
LLAMA_CPP_PYTHON_LIKE = {"schema": 1, "server": {"models": ["qwen2.5-coder"], "context_window": 2048,
                                                 "stream_usage": False, "tool_choice_required": "error",
                                                 "tools_need_choice": True},
                         "scenario": SCENARIOS, "default": {"content": "ready"}}


def check(*args: str) -> Result:
    return CliRunner().invoke(cli, ["model", "check", *args], catch_exceptions=False)


def lines(result: Result) -> dict[str, tuple[str, str]]:
    """The finding lines of a report: name -> (verdict, evidence)."""
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("  "):
            name, verdict, evidence = line[2:19].strip(), line[20:28].strip(), line[29:]
            found[name] = (verdict, evidence)
    return found


def settings(result: Result) -> str:
    return result.stdout.split("Settings for gitdgm.toml:\n")[1]


@pytest.fixture
def serve() -> Any:
    started: list[FakeUpstream] = []

    def start(script: dict[str, Any]) -> FakeUpstream:
        started.append(FakeUpstream(script).start())
        return started[-1]

    yield start
    for fake in started:
        fake.close()


def test_an_openai_like_server(serve: Any) -> None:
    fake = serve(OPENAI_LIKE)
    result = check("--base-url", fake.base_url, "--model", "gpt-test")
    assert result.exit_code == 0, result.output
    found = lines(result)
    assert found["reachable"] == ("ok", "GET /models answered HTTP 200")
    assert found["model listed"] == ("ok", "'gpt-test' is listed (of 2)")
    assert found["context window"][0] == "ok"
    assert found["context window"][1].startswith("8192 tokens, stated by the server when it refused an oversized")
    assert found["completion"] == ("ok", "replied 'ready' (finish_reason stop)")
    assert found["usage"][0] == "ok" and found["usage"][1].endswith(" prompt + 2 completion tokens")
    assert found["max_tokens"] == ("ok", "asked for at most 16: 16 completion tokens, finish_reason length")
    assert found["stream usage"][0] == "ok" and "the last with usage" in found["stream usage"][1]
    assert found["tools (auto)"] == found["tools (required)"] == ("ok", 'called read_file({"path": "notes.txt"})')
    assert settings(result) == ('[model.agent]\ntool_choice = "auto"\ntool_protocol = "native"\ncontext_window = 8192\n'
                                "max_tokens = 4096\n\n[model.diagnosis]\ncontext_window = 8192\n\n"
                                "The agent can use this model (native tool calls).\n")
    oversized = [r["body"] for r in fake.requests_seen if r["body"] and r["body"].get("max_tokens") == 1_000_000]
    assert len(oversized) == 1 and len(json.dumps(oversized[0])) > 300_000
    assert max(r["body"].get("max_tokens", 0) for r in fake.requests_seen if r["body"] not in oversized) <= 256


def test_a_llama_cpp_python_like_server(serve: Any) -> None:
    fake = serve(LLAMA_CPP_PYTHON_LIKE)
    result = check("--base-url", fake.base_url, "--model", "qwen2.5-coder")
    assert result.exit_code == 0, result.output
    found = lines(result)
    assert found["context window"] == ("ok", "2048 tokens, from the model list (max_model_len)")
    assert found["stream usage"] == ("no", "4 chunks and no usage though include_usage was asked: gitdgm counts "
                                           "streamed tokens by estimate")
    assert found["tools (auto)"] == ("ok", 'called read_file({"path": "notes.txt"})')
    assert found["tools (required)"] == ("no", "HTTP 500: scripted upstream: tool_choice 'required' is not supported")
    assert settings(result).startswith('[model.agent]\ntool_choice = "auto"\ntool_protocol = "native"\n'
                                       "context_window = 2048\nmax_tokens = 1024\n\n[model.diagnosis]\n"
                                       "context_window = 2048\n\nThe agent can use this model")
    assert not any((r["body"] or {}).get("max_tokens") == 1_000_000 for r in fake.requests_seen)  # no probe needed


def test_a_window_too_small_for_the_diagnosis_is_warned_about(serve: Any) -> None:
    tiny = LLAMA_CPP_PYTHON_LIKE | {"server": LLAMA_CPP_PYTHON_LIKE["server"] | {"context_window": 1024}}
    result = check("--base-url", serve(tiny).base_url, "--model", "qwen2.5-coder")
    assert ("warning: the context window (1024 tokens) is smaller than the diagnosis works from (about 2,048 tokens)"
            in result.output)


def test_a_server_without_native_tool_calls_gets_the_text_protocol(serve: Any) -> None:
    fake = serve({"schema": 1, "default": {"content": "I cannot call tools."}})
    result = check("--base-url", fake.base_url, "--model", "scripted", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    verdicts = {c["name"]: (c["verdict"], c["evidence"]) for c in report["checks"]}
    assert verdicts["tools (auto)"] == ("no", "no call of the tool offered; replied 'I cannot call tools.'")
    assert verdicts["context window"][0] == "unknown"
    assert "it took an oversized prompt" in verdicts["context window"][1]
    assert report["settings"]["model.agent"] == {"tool_choice": "omit", "tool_protocol": "text", "context_window": 0,
                                                 "max_tokens": 4096}
    assert report["exit_code"] == 0 and report["reason"] == ""


def test_an_unreachable_server_exits_6_with_one_line() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check("--base-url", f"http://127.0.0.1:{port}/v1")
    assert result.exit_code == 6
    assert lines(result)["reachable"][0] == "no" and "Settings" not in result.stdout
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("gitdgm: error:")]
    assert error.startswith("gitdgm: error: cannot use the model: gitdgm gateway: upstream") and "unreachable" in error
    assert "Traceback" not in result.output


def test_a_server_that_answers_no_completion_exits_1(serve: Any) -> None:
    fake = serve({"schema": 1, "scenario": [{"name": "other", "match": {"user": "^nothing we send$"}}]})
    result = check("--base-url", fake.base_url, "--model", "missing", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [c["name"] for c in report["checks"]] == ["reachable", "model listed", "context window", "completion"]
    assert report["checks"][1] == {"name": "model listed", "verdict": "no", "evidence": "the server lists scripted "
                                   "(a server of one model, like llama.cpp's, may answer to any name)"}
    assert result.stderr.startswith("gitdgm: error: model 'missing' answers no completion: HTTP 400: scripted upstream")
    assert len(result.stderr.splitlines()) == 1 and report["settings"] == {}


class LlamaServerLike(FakeUpstream):
    """llama.cpp's server: its model list states the model's training window, and it runs a smaller one."""

    def answer(self, path: str, authorization: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        if path.endswith("/models"):
            return 200, {"object": "list", "data": [{"id": "m.gguf", "meta": {"n_ctx_train": 32768}}]}, {}
        return super().answer(path, authorization, body)


def test_an_archive_config_and_a_training_window_checked_by_refusal(tmp_path: Path) -> None:
    pygit2.init_repository(tmp_path)
    (tmp_path / "model.toml").write_text('schema = 1\n[server]\ncontext_window = 4096\n[default]\ncontent = "ready"\n')
    (tmp_path / "gitdgm.toml").write_text('schema = 1\n[model]\nname = "m.gguf"\nbase_url = "scripted:model.toml"\n')
    result = check("-C", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("model 'm.gguf' at scripted:model.toml\n")
    assert lines(result)["context window"][1].startswith("4096 tokens, stated by the server")
    with LlamaServerLike({"schema": 1, "server": {"context_window": 4096}, "default": {"content": "ready"}}) as fake:
        found = lines(check("-C", str(tmp_path), "--base-url", fake.base_url))
    assert found["model listed"] == ("ok", "'m.gguf' is listed (of 1)")
    assert found["context window"][1].startswith("4096 tokens, stated by the server")  # not the 32768 it trained with


def test_outside_an_archive_the_defaults_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = check()
    assert result.exit_code == 1 and result.stderr.startswith("gitdgm: error: no model: set OPENAI_API_KEY")
    assert check("-C", str(tmp_path)).stderr.startswith("gitdgm: error: not a git repository")


@pytest.mark.parametrize(("body", "names", "window", "key"), [
    ({"data": [{"id": "q", "max_model_len": 32768}]}, ["q"], 32768, "max_model_len"),  # vLLM
    ({"data": [{"id": "m.gguf", "meta": {"n_ctx_train": 131072}}]}, ["m.gguf"], 131072, "meta.n_ctx_train"),
    ({"data": [{"id": "m.gguf", "meta": {"n_ctx": 8192, "n_ctx_train": 131072}}]}, ["m.gguf"], 8192, "meta.n_ctx"),
    ({"data": [{"id": "q", "context_length": 16384}, {"id": "r"}]}, ["q", "r"], 16384, "context_length"),  # LM Studio
    ({"data": [{"id": "q", "context_window": 131072}]}, ["q"], 131072, "context_window"),  # Groq
    ({"object": "list", "data": [{"id": "q", "object": "model"}]}, ["q"], None, None),  # OpenAI
    ([{"id": "q", "context_length": 4096}], ["q"], 4096, "context_length"),  # a bare array (Together)
    ({"data": [{"id": "q", "context_length": True, "max_model_len": "big"}]}, ["q"], None, None),
])
def test_model_lists(body: Any, names: list[str], window: int | None, key: str | None) -> None:
    listing = parse_listing(json.dumps(body).encode())
    assert listing is not None and listing.names == names
    assert (listing.window(names[0]), listing.stated_by(names[0])) == (window, key)
    assert listing.window("absent") is None and listing.find("absent") is None


def test_a_bare_name_finds_ollamas_latest_tag() -> None:
    listing = parse_listing(b'{"data": [{"id": "q:latest", "context_length": 2048}, {"id": "q:7b"}]}')
    assert listing is not None and listing.find("q") == "q:latest" and listing.window("q") == 2048
    assert listing.find("q:7b") == "q:7b" and listing.window("q:7b") is None


@pytest.mark.parametrize("body", [b"<html>", b'{"error": {"message": "no"}}', b'{"data": "x"}', b'{"data": [1]}'])
def test_what_is_not_a_model_list(body: bytes) -> None:
    assert parse_listing(body) is None


def test_a_diagnosis_on_another_model_is_left_to_its_own_check(tmp_path: Path, serve: Any) -> None:
    pygit2.init_repository(tmp_path)
    (tmp_path / "gitdgm.toml").write_text('schema = 1\n[model.diagnosis]\nname = "bigger"\n')
    fake = serve(LLAMA_CPP_PYTHON_LIKE)
    result = check("-C", str(tmp_path), "--base-url", fake.base_url, "--model", "qwen2.5-coder")
    assert result.exit_code == 0, result.output
    assert "[model.diagnosis]" not in result.stdout
    assert "warning: the diagnosis uses model 'bigger': check it with `gitdgm model check --model bigger`" in (
        result.stdout)
