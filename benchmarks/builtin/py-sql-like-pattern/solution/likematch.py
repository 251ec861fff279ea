"""SQL LIKE patterns, matched against Python strings."""
from __future__ import annotations

import re


def like_to_regex(pattern: str, escape: str | None = None, *, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a LIKE pattern: `%` is any sequence, `_` any one character, the rest literal; whole value."""
    if escape is not None and len(escape) != 1:
        raise ValueError(f"ESCAPE must be a single character, not {escape!r}")
    parts = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == escape:
            if i + 1 >= len(pattern) or pattern[i + 1] not in ("%", "_", escape):
                raise ValueError(f"escape character {escape!r} must precede '%', '_' or itself (at {i})")
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts), flags)


def like(value: str, pattern: str, escape: str | None = None, *, ignore_case: bool = False) -> bool:
    """Whether the whole value matches the LIKE pattern."""
    return like_to_regex(pattern, escape, ignore_case=ignore_case).fullmatch(value) is not None
