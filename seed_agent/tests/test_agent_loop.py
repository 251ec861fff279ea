"""The real agent process, end to end, against a scripted model over a unix socket."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("openai", reason="the agent's model client needs the openai package")


def test_fixes_a_bug_with_bash_and_editor(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(
        fake_model.calls(("bash", {"command": "ls && cat calc.py"})),
        fake_model.calls(("editor", {"command": "str_replace", "path": "calc.py", "old_str": "a - b",
                                     "new_str": "a + b"})),
        fake_model.calls(("bash", {"command": "python3 -c 'import calc; print(calc.add(2, 3))'"})),
        fake_model.answer("add() subtracted; it now adds. Verified: add(2, 3) == 5."),
    )
    run = run_agent(repo, problem="add(2, 3) returns -1 instead of 5.", new_process=True)
    assert run.returncode == 0, run.stderr
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert run.end["event"] == "end" and run.end["reason"] == "done" and run.end["turns"] == 4
    assert run.end["usage"] == {"prompt_tokens": 10, "completion_tokens": 5}
    assert fake_model.tool_messages(1) == ["calc.py\ndef add(a, b):\n    return a - b\n[exit code 0]"]
    assert fake_model.tool_messages(3) == ["5\n[exit code 0]"]
    first = fake_model.requests[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["bash", "editor"]
    assert "add(2, 3) returns -1 instead of 5." in first["messages"][1]["content"]
    echoed = fake_model.requests[1]["messages"][2]
    assert echoed["role"] == "assistant" and echoed["content"] == "" and echoed["tool_calls"]
    tools = run.of("tool")
    assert [(t["name"], t["exit_code"], t["ok"]) for t in tools] == [("bash", 0, True), ("editor", None, True),
                                                                     ("bash", 0, True)]
    assert tools[1]["args"]["old_str"] == "a - b" and "duration" in tools[0]
    assert "## Turn 4" in run.transcript and "return a - b" in run.transcript


def test_bad_tool_calls_go_back_to_the_model(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.calls(("bash", '{"command": "ls"'), ("python", {"code": "1"}),
                                    ("editor", {"command": "view"}), ("bash", {"command": 3})))
    run = run_agent(repo)
    assert run.end["reason"] == "done"
    invalid, unknown, missing, mistyped = fake_model.tool_messages(1)
    assert invalid.startswith("Error: the arguments are not valid JSON")
    assert unknown == "Error: unknown tool 'python'; the tools are: bash, editor"
    assert missing == "Error: editor needs the argument(s) path"
    assert mistyped == "Error: bash argument 'command' must be a string, not int"


def test_turn_cap_ends_cleanly(run_agent, fake_model, repo: Path) -> None:
    fake_model.default = fake_model.calls(("bash", {"command": "echo again"}))
    run = run_agent(repo, GITDGM_MAX_TURNS="3")
    assert run.returncode == 0
    assert run.end["reason"] == "turn_limit" and run.end["turns"] == 3 and len(fake_model.requests) == 3
    assert "turns and" in fake_model.tool_messages(2)[0]  # the model was warned that the end is near


def test_time_cap_kills_the_running_command_and_ends_cleanly(run_agent, fake_model, repo: Path) -> None:
    fake_model.default = fake_model.calls(("bash", {"command": "sleep 30"}))
    started = time.monotonic()
    run = run_agent(repo, GITDGM_TIME_LIMIT="1")
    assert time.monotonic() - started < 10
    assert run.returncode == 0 and run.end["reason"] == "time_limit"
    assert "timed out" in run.of("tool")[0]["result"]


def test_sigterm_stops_the_command_and_ends_the_log(run_agent, fake_model, repo: Path) -> None:
    fake_model.default = fake_model.calls(("bash", {"command": "echo $$ > shell.pid; sleep 30"}))

    def terminate_when_the_command_runs() -> None:
        deadline = time.monotonic() + 20
        while not (repo / "shell.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)  # the agent's handler runs in the main thread

    threading.Thread(target=terminate_when_the_command_runs, daemon=True).start()
    run = run_agent(repo)
    assert run.returncode == 0 and run.end["reason"] == "terminated"
    shell = int((repo / "shell.pid").read_text())
    assert not Path(f"/proc/{shell}").exists() or Path(f"/proc/{shell}/stat").read_text().split(") ")[1][0] == "Z"


def test_unreachable_model_ends_with_a_clear_log(run_agent, repo: Path, short_dir: Path) -> None:
    started = time.monotonic()
    run = run_agent(repo, GITDGM_GATEWAY_SOCKET=str(short_dir / "nobody.sock"))
    assert time.monotonic() - started < 15
    assert run.returncode == 3
    assert run.end["reason"] == "model_error" and "APIConnectionError" in run.end["detail"]
    assert "## End: model_error" in run.transcript


@pytest.mark.parametrize(("status", "message"), [(402, "run budget exhausted"), (500, "upstream failed")])
def test_a_refused_request_ends_the_run_without_a_retry(run_agent, fake_model, repo: Path, status: int,
                                                        message: str) -> None:
    fake_model.add((status, {"error": {"message": message}}))
    run = run_agent(repo)
    assert run.returncode == 3 and len(fake_model.requests) == 1  # the gateway is the one place that retries
    assert run.end["reason"] == "model_error" and f"HTTP {status}" in run.end["detail"]


def test_request_fields_follow_the_settings(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.calls(("bash", {"command": "true"})))
    run_agent(repo)
    sent = fake_model.requests[0]
    assert (sent["max_tokens"], sent["tool_choice"]) == (4096, "auto") and "temperature" not in sent
    fake_model.requests.clear()
    fake_model.add(fake_model.calls(("bash", {"command": "true"})))
    run_agent(repo, GITDGM_MAX_TOKENS="0", GITDGM_TEMPERATURE="0.2", GITDGM_TOOL_CHOICE="omit")
    sent = fake_model.requests[0]
    assert "max_tokens" not in sent and "tool_choice" not in sent and sent["temperature"] == 0.2
    assert [t["function"]["name"] for t in sent["tools"]] == ["bash", "editor"]
    fake_model.requests.clear()
    run_agent(repo, GITDGM_TOOL_CHOICE="required", GITDGM_CONTEXT_TOKENS="6000", GITDGM_TOOL_PROTOCOL="native")
    assert fake_model.requests[0]["tool_choice"] == "required"
    assert fake_model.requests[0]["max_tokens"] == 3000  # by default at most half of the window


def test_invalid_settings_exit_2(run_agent, repo: Path) -> None:
    assert run_agent(repo, GITDGM_TOOL_PROTOCOL="xml").returncode == 2
    assert run_agent(repo, GITDGM_MAX_TOKENS="8000", GITDGM_CONTEXT_TOKENS="8000").returncode == 2


def test_context_overflow_elides_old_outputs_and_retries(run_agent, fake_model, repo: Path) -> None:
    big = fake_model.calls(("bash", {"command": "seq 1 2000"}))
    fake_model.add(big, big, (400, {"error": {"message": "maximum context length exceeded"}}))
    run = run_agent(repo)
    assert run.end["reason"] == "done"
    retried = fake_model.requests[3]["messages"]
    assert retried[3]["content"].startswith("[output elided: ")
    assert retried[5]["content"].startswith("1\n2\n3")  # the latest turn is kept
    assert run.of("elide")[0]["reason"].startswith("HTTP 400")
    assert "elided after the model said: HTTP 400" in run.transcript  # where gitdgm's diagnosis looks


def test_context_budget_keeps_requests_small(run_agent, fake_model, repo: Path) -> None:
    for _ in range(4):
        fake_model.add(fake_model.calls(("bash", {"command": "seq 1 3000"})))
    run = run_agent(repo, GITDGM_CONTEXT_TOKENS="16000", GITDGM_MAX_TOKENS="1000")
    assert run.end["reason"] == "done" and run.of("elide")
    assert "elided to stay within the context budget" in run.transcript
    sizes = [len(json.dumps(r["messages"], ensure_ascii=False)) for r in fake_model.requests]
    assert sizes[-1] < 3 * (16000 - 1000) < sum(sizes[1:]) - sizes[0]  # the window less the reply, as chars / 3


def test_a_stated_window_is_adopted(run_agent, fake_model, repo: Path) -> None:
    big = fake_model.calls(("bash", {"command": "seq 1 2000"}))
    fake_model.add(big, big, (400, {"error": {"message": "This model's maximum context length is 8192 tokens"}}))
    run = run_agent(repo, GITDGM_MAX_TOKENS="6000")
    assert run.end["reason"] == "done"
    assert [r["max_tokens"] for r in fake_model.requests] == [6000, 6000, 6000, 4096]
    assert fake_model.requests[3]["messages"][3]["content"].startswith("[output elided: ")
    assert [(e["window"], e["max_tokens"]) for e in run.of("context_window")] == [(8192, 4096)]
    assert "the server's window is 8192 tokens; max_tokens now 4096" in run.transcript


def test_the_run_token_is_never_written(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.calls(("bash", {"command": "echo key=${OPENAI_API_KEY:-absent}; env | wc -l"})))
    run = run_agent(repo, OPENAI_API_KEY="gdgm-run-s3cret")
    assert run.end["reason"] == "done"
    assert fake_model.headers[0]["authorization"] == "Bearer gdgm-run-s3cret"
    assert fake_model.tool_messages(1)[0].startswith("key=absent")
    out = repo.parent / "out"
    for name in ("log.jsonl", "transcript.md"):
        assert "gdgm-run-s3cret" not in (out / name).read_text()


def test_missing_settings_exit_2_with_one_line(run_agent, repo: Path) -> None:
    run = run_agent(repo, new_process=True, GITDGM_MODEL="")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "dgm_agent: GITDGM_MODEL is not set; the harness must set it (see the agent protocol)"]
