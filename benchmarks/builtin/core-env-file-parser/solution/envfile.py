"""Parse the KEY=value lines of a .env file."""

import re

_DOUBLE_ESCAPES = {"n": "\n", '"': '"', "\\": "\\"}


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^export\s+", "", line)
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"line {number}: expected KEY=value, got {raw!r}")
        values[key] = _value(value.strip(), number)
    return values


def _value(value: str, number: int) -> str:
    if value[:1] == "'":
        end = value.find("'", 1)
        if end < 0:
            raise ValueError(f"line {number}: unterminated single quote")
        return value[1:end]
    if value[:1] == '"':
        out, i = [], 1
        while i < len(value) and value[i] != '"':
            if value[i] == "\\" and i + 1 < len(value):
                i += 1
                out.append(_DOUBLE_ESCAPES.get(value[i], "\\" + value[i]))
            else:
                out.append(value[i])
            i += 1
        if i >= len(value):
            raise ValueError(f"line {number}: unterminated double quote")
        return "".join(out)
    return re.split(r"\s+#", value, maxsplit=1)[0].strip()
