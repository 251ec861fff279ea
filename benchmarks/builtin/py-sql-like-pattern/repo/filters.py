"""Row filters for the admin console: `column [NOT] LIKE|ILIKE 'pattern' [ESCAPE 'c']`."""
from __future__ import annotations

import re

from likematch import like

FILTER = re.compile(
    r"^\s*(?P<column>\w+)\s+(?P<negate>NOT\s+)?(?P<op>LIKE|ILIKE)\s+'(?P<pattern>(?:[^']|'')*)'"
    r"(?:\s+ESCAPE\s+'(?P<escape>(?:[^']|'')*)')?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def parse_filter(text: str) -> dict:
    m = FILTER.match(text)
    if not m:
        raise ValueError(f"cannot parse filter: {text!r}")
    escape = m["escape"]
    return {
        "column": m["column"],
        "negate": bool(m["negate"]),
        "ignore_case": m["op"].upper() == "ILIKE",
        "pattern": m["pattern"].replace("''", "'"),
        "escape": escape.replace("''", "'") if escape is not None else None,
    }


def apply_filter(rows: list[dict], text: str) -> list[dict]:
    """The rows that satisfy the filter, in their order."""
    f = parse_filter(text)
    out = []
    for row in rows:
        matched = like(row.get(f["column"]), f["pattern"], ignore_case=f["ignore_case"])
        if matched != f["negate"]:
            out.append(row)
    return out
