"""Evaluate a tokenized expression by precedence climbing."""

import operator

from calc.tokens import CalcError, tokenize

_BINARY = {"+": (1, operator.add), "-": (1, operator.sub), "*": (2, operator.mul), "/": (2, operator.truediv),
           "%": (2, operator.mod), "^": (4, operator.pow)}
_UNARY_MINUS = 3  # binds looser than ^ (-2 ^ 2 = -4), tighter than * and /


def evaluate(text: str):
    tokens = tokenize(text)
    value, rest = _expression(tokens, 0)
    if rest < len(tokens):
        raise CalcError(f"unexpected {tokens[rest]!r}")
    return value


def _expression(tokens, pos, min_level=1):
    left, pos = _operand(tokens, pos)
    while pos < len(tokens) and tokens[pos] in _BINARY and _BINARY[tokens[pos]][0] >= min_level:
        level, op = _BINARY[tokens[pos]]
        right, pos = _expression(tokens, pos + 1, level if tokens[pos] == "^" else level + 1)
        try:
            left = op(left, right)
        except ZeroDivisionError:
            raise CalcError("division by zero") from None
    return left, pos


def _operand(tokens, pos):
    if pos >= len(tokens):
        raise CalcError("missing operand")
    token = tokens[pos]
    if token == "-":
        value, pos = _expression(tokens, pos + 1, _UNARY_MINUS)
        return -value, pos
    if token == "(":
        value, pos = _expression(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != ")":
            raise CalcError("unbalanced parentheses")
        return value, pos + 1
    if isinstance(token, str):
        raise CalcError(f"unexpected {token!r}")
    return token, pos + 1
