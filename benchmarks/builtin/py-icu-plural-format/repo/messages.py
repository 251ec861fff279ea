"""UI message formatting: `{name}` arguments and ICU-style plurals such as
`{count, plural, one {# file} other {# files}}`."""
from __future__ import annotations

import re

from plurals import plural_category

PLURAL = re.compile(r"\{(\w+), plural, (.*?)\}\}")
BRANCH = re.compile(r"(\w+) \{([^}]*)\}")
ARG = re.compile(r"\{(\w+)\}")


class MessageError(ValueError):
    """The pattern is malformed or an argument is missing."""


def format_message(pattern: str, locale: str = "en", **args) -> str:
    def plural(m: re.Match[str]) -> str:
        name, body = m.group(1), m.group(2) + "}"
        branches = dict(BRANCH.findall(body))
        n = args[name]
        text = branches.get(plural_category(locale, n), branches["other"])
        return text.replace("#", str(n))

    text = PLURAL.sub(plural, pattern)
    return ARG.sub(lambda m: str(args[m.group(1)]), text)
