"""UI message formatting: `{name}` arguments and ICU-style plurals such as
`{count, plural, =0 {no files} one {# file} other {# files}}`.

A pattern is parsed into nodes: text (str), `Arg(name)`, `Plural(name, branches)` and `Hash()` (the `#` of a
plural branch); formatting walks them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from plurals import plural_category

NAME = re.compile(r"\w+")
SELECTOR = re.compile(r"=\d+|zero|one|two|few|many|other")


class MessageError(ValueError):
    """The pattern is malformed or an argument is missing."""


@dataclass(frozen=True)
class Arg:
    name: str


@dataclass(frozen=True)
class Plural:
    name: str
    branches: dict


@dataclass(frozen=True)
class Hash:
    pass


class _Parser:
    def __init__(self, pattern: str):
        self.text = pattern
        self.i = 0

    def error(self, what: str) -> MessageError:
        return MessageError(f"{what} at position {self.i} of {self.text!r}")

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def skip_space(self) -> None:
        while self.peek().isspace():
            self.i += 1

    def expect(self, ch: str) -> None:
        self.skip_space()
        if self.peek() != ch:
            raise self.error(f"expected {ch!r}")
        self.i += 1

    def message(self, in_plural: bool, nested: bool) -> list:
        """Nodes up to the end of the pattern, or (nested) up to the `}` closing it, which is not consumed."""
        nodes: list = []
        text: list[str] = []

        def flush() -> None:
            if text:
                nodes.append("".join(text))
                text.clear()

        while self.i < len(self.text):
            c = self.text[self.i]
            if c == "'":
                text.append(self.quoted())
            elif c == "{":
                flush()
                nodes.append(self.argument())
            elif c == "}":
                if not nested:
                    raise self.error("unbalanced '}'")
                break
            elif c == "#" and in_plural:
                flush()
                nodes.append(Hash())
                self.i += 1
            else:
                text.append(c)
                self.i += 1
        else:
            if nested:
                raise self.error("unclosed '{'")
        flush()
        return nodes

    def quoted(self) -> str:
        """At a `'`: `''` is an apostrophe, `'` before `{`, `}` or `#` quotes up to the next `'`."""
        nxt = self.text[self.i + 1:self.i + 2]
        if nxt == "'":
            self.i += 2
            return "'"
        if nxt not in ("{", "}", "#") or not nxt:
            self.i += 1
            return "'"
        out = []
        self.i += 1
        while self.i < len(self.text):
            if self.text.startswith("''", self.i):
                out.append("'")
                self.i += 2
            elif self.text[self.i] == "'":
                self.i += 1
                break
            else:
                out.append(self.text[self.i])
                self.i += 1
        return "".join(out)

    def name(self) -> str:
        self.skip_space()
        m = NAME.match(self.text, self.i)
        if not m:
            raise self.error("expected a name")
        self.i = m.end()
        return m.group()

    def argument(self):
        self.i += 1  # "{"
        name = self.name()
        self.skip_space()
        if self.peek() == "}":
            self.i += 1
            return Arg(name)
        self.expect(",")
        kind = self.name()
        if kind != "plural":
            raise self.error(f"unknown argument type {kind!r}")
        self.expect(",")
        branches: dict = {}
        while True:
            self.skip_space()
            if self.peek() == "}":
                self.i += 1
                break
            m = SELECTOR.match(self.text, self.i)
            if not m:
                raise self.error("expected a plural selector")
            self.i = m.end()
            self.expect("{")
            branches[m.group()] = self.message(in_plural=True, nested=True)
            self.expect("}")
        if "other" not in branches:
            raise self.error(f"plural {name!r} has no 'other' branch")
        return Plural(name, branches)


def parse(pattern: str) -> list:
    return _Parser(pattern).message(in_plural=False, nested=False)


def _render(nodes: list, locale: str, args: dict, number) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Hash):
            out.append(str(number))
        elif isinstance(node, Arg):
            if node.name not in args:
                raise MessageError(f"missing argument {node.name!r}")
            out.append(str(args[node.name]))
        else:
            if node.name not in args:
                raise MessageError(f"missing argument {node.name!r}")
            n = args[node.name]
            if isinstance(n, bool) or not isinstance(n, (int, float)):
                raise MessageError(f"plural argument {node.name!r} must be a number, not {n!r}")
            branch = node.branches.get(f"={int(n)}") if n == int(n) else None
            if branch is None:
                branch = node.branches.get(plural_category(locale, n), node.branches["other"])
            out.append(_render(branch, locale, args, n))
    return "".join(out)


def format_message(pattern: str, locale: str = "en", **args) -> str:
    return _render(parse(pattern), locale, args, None)
