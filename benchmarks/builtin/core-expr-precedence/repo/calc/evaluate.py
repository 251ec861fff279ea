"""Evaluate a tokenized expression."""

import operator

from calc.tokens import CalcError, tokenize

_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
        "%": operator.mod, "^": operator.pow}


def evaluate(text: str):
    tokens = tokenize(text)
    if not tokens:
        raise CalcError("empty expression")
    result = tokens[0]
    for i in range(1, len(tokens) - 1, 2):
        result = _OPS[tokens[i]](result, tokens[i + 1])
    return result
