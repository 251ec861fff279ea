"""The text tool protocol end to end: calls as fenced blocks, results as user messages, and the switch to it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("openai", reason="the agent's model client needs the openai package")

FIX = {"command": "str_replace", "path": "calc.py", "old_str": "a - b", "new_str": "a + b"}


def _no_native_fields(request: dict) -> bool:
    messages = request["messages"]
    return ("tools" not in request and "tool_choice" not in request
            and not any("tool_calls" in m or m["role"] == "tool" for m in messages))


def test_text_protocol_fixes_a_bug(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(
        fake_model.fenced(("bash", {"command": "cat calc.py"}), text="Let me look."),
        fake_model.fenced(("editor", FIX), ("bash", {"command": "python3 -c 'import calc; print(calc.add(2, 3))'"})),
        fake_model.answer("Fixed: add() now adds."),
    )
    run = run_agent(repo, GITDGM_TOOL_PROTOCOL="text", new_process=True)
    assert run.returncode == 0 and run.end["reason"] == "done" and run.end["turns"] == 3
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert all(_no_native_fields(r) for r in fake_model.requests)
    system = fake_model.requests[0]["messages"][0]["content"]
    assert "## Calling tools" in system and "### editor" in system and '"insert_line"' in system
    first_result = fake_model.requests[1]["messages"][-1]
    assert first_result == {"role": "user", "content": "Result of bash call 1:\ndef add(a, b):\n    return a - b\n"
                                                       "[exit code 0]"}
    second = fake_model.requests[2]["messages"][-1]["content"]
    assert second.startswith("Result of editor call 1:\nEdited ") and "\n\nResult of bash call 2:\n5\n" in second
    assert [(e["name"], e["ok"]) for e in run.of("tool")] == [("bash", True), ("editor", True), ("bash", True)]
    assert run.of("model_response")[1]["tool_calls"] == ["editor", "bash"]
    assert [(e["name"], e["reason"]) for e in run.of("protocol")] == [("text", "GITDGM_TOOL_PROTOCOL=text")]


def test_a_block_that_cannot_be_read_goes_back_to_the_model(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.answer('```tool\n{"name": "bash", "arguments": {"command": "echo one"}\n```\n'
                                     '```tool\n{"name": "bash", "arguments": {"command": "echo two"}}\n```'))
    run = run_agent(repo, GITDGM_TOOL_PROTOCOL="text")
    assert run.end["reason"] == "done"
    results = fake_model.requests[1]["messages"][-1]["content"]
    assert results.startswith("Result of bash call 1:\nError: the tool block is not valid JSON (Expecting ")
    assert "\n\nResult of bash call 2:\ntwo\n[exit code 0]" in results
    assert [e["ok"] for e in run.of("tool")] == [False, True]


def test_auto_switches_when_the_first_reply_calls_no_tool(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.answer("I would change calc.py so that add() adds."),
                   fake_model.fenced(("editor", FIX)), fake_model.answer("Done: add() adds."))
    run = run_agent(repo)
    assert run.end["reason"] == "done" and run.end["turns"] == 3
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    first, reask, after = fake_model.requests
    assert first["tools"] and first["tool_choice"] == "auto"
    assert _no_native_fields(reask) and _no_native_fields(after)
    explained = reask["messages"][-1]
    assert explained["role"] == "user" and explained["content"].startswith("Your reply called no tool")
    assert "```tool\n" in explained["content"] and "### bash" in explained["content"]
    assert after["messages"][-1]["content"].startswith("Result of editor call 1:\nEdited ")
    assert [e["name"] for e in run.of("protocol")] == ["native", "text"]
    assert "_[tool protocol: switched from native to text: the model's first reply called no tool]_" in run.transcript


def test_auto_switches_when_the_model_writes_blocks_after_native_calls(run_agent, fake_model, repo: Path) -> None:
    fake_model.add(fake_model.calls(("bash", {"command": "cat calc.py"})), fake_model.fenced(("editor", FIX)))
    run = run_agent(repo)
    assert run.end["reason"] == "done" and run.end["turns"] == 3
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    last = fake_model.requests[2]
    assert _no_native_fields(last)  # the native call and its result are rewritten in the text form
    assert last["messages"][2]["content"] == '```tool\n{"name": "bash", "arguments": {"command": "cat calc.py"}}\n```'
    assert last["messages"][3]["content"].startswith("Result of bash call 1:\ndef add(a, b):")
    assert "the model wrote its tool calls as fenced blocks" in run.transcript


@pytest.mark.parametrize("protocol", ["auto", "native"])
def test_auto_switches_when_the_server_refuses_tools(run_agent, fake_model, repo: Path, protocol: str) -> None:
    fake_model.add((400, {"error": {"message": "registry.ollama.ai/library/gemma3:4b does not support tools"}}),
                   fake_model.fenced(("editor", FIX)))
    run = run_agent(repo, GITDGM_TOOL_PROTOCOL=protocol)
    if protocol == "native":
        assert run.returncode == 3 and run.end["reason"] == "model_error" and len(fake_model.requests) == 1
        return
    assert run.end["reason"] == "done" and (repo / "calc.py").read_text().endswith("a + b\n")
    refused, resent, _ = fake_model.requests
    assert "tools" in refused and _no_native_fields(resent) and len(resent["messages"]) == 2
    assert "## Calling tools" in resent["messages"][0]["content"]
    assert "switched from native to text: the server refused native tool calls: HTTP 400" in run.transcript


@pytest.mark.parametrize("protocol", ["auto", "native"])
def test_no_switch_after_a_tool_call_or_in_native_mode(run_agent, fake_model, repo: Path, protocol: str) -> None:
    if protocol == "auto":
        fake_model.add(fake_model.calls(("bash", {"command": "true"})))
    run = run_agent(repo, GITDGM_TOOL_PROTOCOL=protocol)
    assert run.end["reason"] == "done" and all("tools" in r for r in fake_model.requests)
    assert [e["name"] for e in run.of("protocol")] == ["native"]
