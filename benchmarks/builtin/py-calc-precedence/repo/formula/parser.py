"""Recursive-descent evaluation of formulas.

Grammar (lowest precedence first):
    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "/") factor)*
    factor := "-" factor | power
    power  := atom ("^" factor)?
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
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expr(self):
        left = self.term()
        if self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            right = self.expr()
            return left + right if op == "+" else left - right
        return left

    def term(self):
        left = self.factor()
        if self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            right = self.term()
            return left * right if op == "*" else left / right
        return left

    def factor(self):
        if self.peek() == ("op", "-"):
            self.take()
            return -self.factor()
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return base ** self.atom()
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
