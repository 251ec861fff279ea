"""Dispatch of the model's tool calls: parse and check the arguments, run the tool, and turn every failure
(unknown tool, invalid JSON, a missing or mistyped argument, a tool error) into a message for the model."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from dgm_agent.tools import ToolError, bash, editor

_TYPES = {"string": str, "integer": int, "array": list, "object": dict}

# The shell never sees the gateway token, so `env` or a log cannot leak it; pagers would wait for a terminal.
_SHELL_ENV = {"PAGER": "cat", "GIT_PAGER": "cat", "MANPAGER": "cat", "TERM": "dumb", "PYTHONUNBUFFERED": "1"}


@dataclass
class ToolResult:
    text: str
    ok: bool
    exit_code: int | None = None


class Toolbox:
    def __init__(self, root: Path, bash_timeout: float = 120.0) -> None:
        self.schemas = [bash.SCHEMA, editor.SCHEMA]
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"} | _SHELL_ENV
        self.bash = bash.BashSession(root, timeout=bash_timeout, env=env)
        self.editor = editor.Editor(root)

    def close(self) -> None:
        self.bash.close()

    def call(self, name: str, arguments: str, time_left: float | None = None) -> ToolResult:
        try:
            args = self._parse(name, arguments)
            if name == "bash":
                timeout = self.bash.timeout if time_left is None else max(1.0, min(self.bash.timeout, time_left))
                result = self.bash.run(args["command"], timeout)
                return ToolResult(result.render(), result.exit_code == 0, result.exit_code)
            return ToolResult(self.editor(**args), True)
        except ToolError as error:
            return ToolResult(f"Error: {error}", False)
        except OSError as error:
            return ToolResult(f"Error: {error}", False)

    def _parse(self, name: str, arguments: str) -> dict:
        schema = next((s["function"] for s in self.schemas if s["function"]["name"] == name), None)
        if schema is None:
            known = ", ".join(s["function"]["name"] for s in self.schemas)
            raise ToolError(f"unknown tool {name!r}; the tools are: {known}")
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as error:
            raise ToolError(f"the arguments are not valid JSON ({error}); send one JSON object, "
                            f'e.g. {{"command": "ls"}}') from None
        if not isinstance(args, dict):
            raise ToolError(f"the arguments must be a JSON object, not {type(args).__name__}")
        properties = schema["parameters"]["properties"]
        args = {k: v for k, v in args.items() if v is not None}  # some models send null for unused options
        unknown = sorted(set(args) - set(properties))
        if unknown:
            raise ToolError(f"{name} has no argument(s) {', '.join(unknown)}; its arguments are "
                            f"{', '.join(properties)}")
        missing = [k for k in schema["parameters"]["required"] if k not in args]
        if missing:
            raise ToolError(f"{name} needs the argument(s) {', '.join(missing)}")
        for key, value in args.items():
            expected = _TYPES[properties[key]["type"]]
            if not isinstance(value, expected) or isinstance(value, bool):
                raise ToolError(f"{name} argument {key!r} must be a {properties[key]['type']}, "
                                f"not {type(value).__name__}")
        return args


