import functools
import re

_VALID = re.compile(r"^\d+(\.\d+)*(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def compare(a: str, b: str) -> int:
    """Return -1 if a < b, 0 if they are equal, 1 if a > b."""
    for v in (a, b):
        if not _VALID.match(v):
            raise ValueError(f"invalid version: {v!r}")
    if a == b:
        return 0
    return -1 if a < b else 1


def sort_versions(versions: list[str]) -> list[str]:
    return sorted(versions, key=functools.cmp_to_key(compare))
