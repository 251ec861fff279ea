"""How tool calls travel between the model and the agent: through the API, or as fenced blocks in the text.

OpenAI, vLLM and llama.cpp's server (with --jinja) take `tools` and answer with structured `tool_calls`; many
local models and chat formats cannot. `NativeProtocol` uses the API's tool calls. `TextProtocol` describes the
tools in the prompt, reads each call from a fenced ```tool block of the reply's text and sends the results back
as a user message (servers without tool support may reject role "tool"), so its conversation holds no
`tool_calls` at all. Both have one interface (`ToolProtocol`), so the loop does not care which one is in use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

# A fenced block tagged tool or json; an unclosed last block (the model stopped after it) counts too.
BLOCK = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*(tool|json)[ \t]*\n(.*?)(?:^ {0,3}\1[ \t]*$|\Z)",
                   re.DOTALL | re.MULTILINE | re.IGNORECASE)
RESULT_PREFIX = "Result of "  # opens every tool result of the text protocol
_NAME = re.compile(r'"name"\s*:\s*"([^"]+)"')
_SHAPE = 'write one JSON object per block: {"name": "TOOL", "arguments": {...}}'


@dataclass
class Call:
    name: str
    arguments: str  # JSON text, checked by the toolbox
    id: str = ""  # native calls only: the id its result must name
    error: str = ""  # why a text block could not be read: the model is told instead of a tool running


class ToolProtocol(Protocol):
    name: str
    request: dict  # fields added to every request
    instructions: str  # what the system prompt needs to add

    def calls(self, message: dict) -> list[Call]:
        """The tool calls of an assistant message, in order."""

    def results(self, calls: list[Call], texts: list[str]) -> list[dict]:
        """The messages that carry the calls' results back to the model."""


class NativeProtocol:
    name = "native"
    instructions = ""

    def __init__(self, tools: list[dict], tool_choice: str) -> None:
        # tool_choice goes with the tools unless omitted: llama-cpp-python renders them only when it is sent
        self.request = {"tools": tools} | ({} if tool_choice == "omit" else {"tool_choice": tool_choice})

    def calls(self, message: dict) -> list[Call]:
        return [Call(c["function"]["name"], c["function"]["arguments"], c["id"])
                for c in message.get("tool_calls", [])]

    def results(self, calls: list[Call], texts: list[str]) -> list[dict]:
        return [{"role": "tool", "tool_call_id": call.id, "content": text} for call, text in zip(calls, texts)]


class TextProtocol:
    name = "text"
    request: dict = {}

    def __init__(self, instructions: str) -> None:
        self.instructions = instructions  # prompts/text_tools.md, filled in with `describe_tools`

    def calls(self, message: dict) -> list[Call]:
        return parse_calls(message["content"])

    def results(self, calls: list[Call], texts: list[str]) -> list[dict]:
        parts = [_result(call.name, number, text) for number, (call, text) in enumerate(zip(calls, texts), 1)]
        return [{"role": "user", "content": "\n\n".join(parts)}]


def describe_tools(schemas: list[dict]) -> str:
    """Each tool's name, description and the JSON schema of its arguments, for the text protocol's prompt."""
    return "\n\n".join(f"### {s['function']['name']}\n{s['function']['description']}\n"
                       f"Arguments: {json.dumps(s['function']['parameters'])}" for s in schemas)


def parse_calls(content: str) -> list[Call]:
    """The calls written as fenced blocks: every ```tool block (one that cannot be read becomes a call with an
    error), and the ```json blocks that hold a call or were meant to (they name "name" and "arguments")."""
    calls = []
    for match in BLOCK.finditer(content):
        call = _read_block(match.group(3).strip())
        meant = '"name"' in match.group(3) and '"arguments"' in match.group(3)
        if match.group(2).lower() == "tool" or not call.error or meant:
            calls.append(call)
    return calls


def as_text(messages: list[dict]) -> list[dict]:
    """The conversation with native tool calls and results rewritten as the text protocol writes them (for a
    switch in mid-run: the server may reject `tool_calls` and role "tool" once no tools are sent)."""
    converted: list[dict] = []
    named: dict[str, tuple[str, int]] = {}  # tool_call_id -> (name, number in its reply)
    for message in messages:
        if message.get("tool_calls"):
            blocks = []
            for number, call in enumerate(message["tool_calls"], 1):
                named[call["id"]] = (call["function"]["name"], number)
                blocks.append(_block(call["function"]["name"], call["function"]["arguments"]))
            content = "\n\n".join(filter(None, [message["content"], *blocks]))
            converted.append({"role": "assistant", "content": content})
        elif message["role"] == "tool":
            text = _result(*named.get(message.get("tool_call_id", ""), ("tool", 0)), message["content"])
            if converted[-1]["role"] == "user":  # the previous result of the same reply
                converted[-1]["content"] += "\n\n" + text
            else:
                converted.append({"role": "user", "content": text})
        else:
            converted.append(message)
    return converted


def _read_block(body: str) -> Call:
    try:
        value = json.loads(body, strict=False)  # strict=False: models often put raw newlines in strings
    except json.JSONDecodeError as error:
        name = _NAME.search(body)
        return Call(name.group(1) if name else "tool", body, error=f"the tool block is not valid JSON ({error}); "
                    f"{_SHAPE}, with newlines in strings written as \\n and quotes as \\\"")
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return Call("tool", body, error=f"the tool block does not name a tool; {_SHAPE}")
    arguments = value.get("arguments", value.get("parameters"))  # Llama 3 was trained on "parameters"
    if arguments is None:
        return Call(value["name"], body, error=f"the tool block has no arguments; {_SHAPE}")
    return Call(value["name"], arguments if isinstance(arguments, str) else json.dumps(arguments))


def _block(name: str, arguments: str) -> str:
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        value = arguments
    return f"```tool\n{json.dumps({'name': name, 'arguments': value}, ensure_ascii=False)}\n```"


def _result(name: str, number: int, text: str) -> str:
    return f"{RESULT_PREFIX}{name} call {number}:\n{text}"
