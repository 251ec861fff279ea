"""Split a formula into tokens: numbers, names, operators and parentheses."""
import re

from formula.errors import FormulaError

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*)|([A-Za-z_]\w*)|(.))")


def tokenize(text: str) -> list:
    tokens = []
    for number, name, op in _TOKEN.findall(text):
        if number:
            tokens.append(("num", float(number) if "." in number else int(number)))
        elif name:
            tokens.append(("name", name))
        elif op.strip():
            if op not in "+-*/^()":
                raise FormulaError(f"unexpected character {op!r}")
            tokens.append(("op", op))
    return tokens
