"""Split an expression into numbers, operators and parentheses."""

import re

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|(.))")


class CalcError(ValueError):
    """The expression cannot be evaluated."""


def tokenize(text: str) -> list:
    tokens = []
    for number, other in _TOKEN.findall(text.strip()):
        if number:
            tokens.append(float(number) if "." in number else int(number))
        elif other in "+-*/%^()":
            tokens.append(other)
        else:
            raise CalcError(f"unexpected character {other!r}")
    return tokens
