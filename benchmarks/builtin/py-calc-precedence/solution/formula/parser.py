"""Recursive-descent evaluation of formulas.

Grammar (lowest precedence first):
    expr   := term (("+" | "-") term)*          left-associative
    term   := factor (("*" | "/") factor)*      left-associative
    factor := "-" factor | power
    power  := atom ("^" factor)?                right-associative; the exponent may carry a unary minus
    atom   := number | name | "(" expr ")"
"""
from formula.errors import FormulaError
from formula.lexer import tokenize


class _Parser:
    def __init__(self, tokens: list, variables: dict):
        self.tokens = tokens
        self.pos = 0
        self.vars = variables

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", None)

    def take(self):
        if self.pos >= len(self.tokens):
            raise FormulaError("unexpected end of formula")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expr(self):
        value = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self):
        value = self.factor()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            right = self.factor()
            if op == "/" and right == 0:
                raise FormulaError("division by zero")
            value = value * right if op == "*" else value / right
        return value

    def factor(self):
        if self.peek() == ("op", "-"):
            self.take()
            return -self.factor()
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return base ** self.factor()
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "num":
            return value
        if kind == "name":
            if value not in self.vars:
                raise FormulaError(f"unknown name {value!r}")
            return self.vars[value]
        if (kind, value) == ("op", "("):
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise FormulaError("expected ')'")
            return inner
        raise FormulaError(f"unexpected {value!r}")


def evaluate(text: str, variables: dict = None):
    parser = _Parser(tokenize(text), variables or {})
    result = parser.expr()
    if parser.peek()[0] != "end":
        raise FormulaError(f"unexpected {parser.peek()[1]!r}")
    return result
