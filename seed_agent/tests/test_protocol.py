"""Reading tool calls written as fenced blocks, and rewriting a native conversation in the text protocol."""

from __future__ import annotations

import json

from dgm_agent.protocol import Call, as_text, parse_calls


def test_blocks_are_calls_in_order() -> None:
    content = ('I will look first.\n\n```tool\n{"name": "bash", "arguments": {"command": "ls"}}\n```\n\nThen:\n'
               '```json\n{"name": "editor", "arguments": "{\\"command\\": \\"view\\", \\"path\\": \\"a.py\\"}"}\n```')
    assert parse_calls(content) == [Call("bash", '{"command": "ls"}'),
                                    Call("editor", '{"command": "view", "path": "a.py"}')]


def test_tolerated_forms() -> None:
    raw_newlines = '```tool\n{"name": "editor", "arguments": {"command": "create", "path": "a.py",\n' \
                   '"file_text": "x = 1\ny = 2\n"}}\n```'
    assert json.loads(parse_calls(raw_newlines)[0].arguments)["file_text"] == "x = 1\ny = 2\n"
    unclosed = 'Running it.\n```tool\n{"name": "bash", "arguments": {"command": "pytest -q"}}\n'
    assert parse_calls(unclosed) == [Call("bash", '{"command": "pytest -q"}')]
    llama = '````TOOL\n{"name": "bash", "parameters": {"command": "ls"}}\n````'
    assert parse_calls(llama) == [Call("bash", '{"command": "ls"}')]


def test_json_blocks_that_are_not_calls_are_prose() -> None:
    assert parse_calls('The config:\n```json\n{"debug": true}\n```\nand ```python\nprint(1)\n```') == []


def test_a_block_that_cannot_be_read_becomes_an_error_for_the_model() -> None:
    invalid, nameless, broken_json = parse_calls(
        '```tool\n{"name": "bash", "arguments": {"command": "ls"}\n```\n'
        '```tool\n{"command": "ls"}\n```\n'
        '```json\n{"name": "bash", "arguments": {"command": "ls"\n```')
    assert invalid.name == "bash" and invalid.error.startswith("the tool block is not valid JSON (Expecting")
    assert nameless.error.startswith("the tool block does not name a tool")
    assert broken_json.error.startswith("the tool block is not valid JSON")


def test_a_native_conversation_is_rewritten_without_tool_calls() -> None:
    messages = [
        {"role": "system", "content": "s"}, {"role": "user", "content": "task"},
        {"role": "assistant", "content": "Looking.", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "bash", "arguments": '{"command": "ls"}'}},
            {"id": "b", "type": "function", "function": {"name": "editor", "arguments": "{not json"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "calc.py"},
        {"role": "tool", "tool_call_id": "b", "content": "Error: the arguments are not valid JSON"},
        {"role": "assistant", "content": '```tool\n{"name": "bash", "arguments": {"command": "pwd"}}\n```'},
    ]
    rewritten = as_text(messages)
    assert [m["role"] for m in rewritten] == ["system", "user", "assistant", "user", "assistant"]
    assert rewritten[2] == {"role": "assistant", "content": 'Looking.\n\n```tool\n{"name": "bash", "arguments": '
                            '{"command": "ls"}}\n```\n\n```tool\n{"name": "editor", "arguments": "{not json"}\n```'}
    assert rewritten[3]["content"] == ("Result of bash call 1:\ncalc.py\n\n"
                                       "Result of editor call 2:\nError: the arguments are not valid JSON")
    assert parse_calls(rewritten[2]["content"])[0] == Call("bash", '{"command": "ls"}')
    assert messages[2]["tool_calls"]  # the original is left alone
