"""SQL LIKE patterns, matched against Python strings."""
from __future__ import annotations

import re


def like_to_regex(pattern: str, escape: str | None = None, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a LIKE pattern: `%` is any sequence, `_` any one character."""
    regex = pattern.replace("%", ".*").replace("_", ".")
    return re.compile(regex)


def like(value: str, pattern: str, escape: str | None = None, *, ignore_case: bool = False) -> bool:
    """Whether value matches the LIKE pattern."""
    return like_to_regex(pattern, escape, ignore_case=ignore_case).match(value) is not None
