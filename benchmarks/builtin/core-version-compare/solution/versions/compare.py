import functools
import re

_VALID = re.compile(r"^\d+(\.\d+)*(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _cmp(x, y) -> int:
    return (x > y) - (x < y)


def _parse(v: str) -> tuple[list[int], list[str]]:
    if not _VALID.match(v):
        raise ValueError(f"invalid version: {v!r}")
    v = v.split("+", 1)[0]
    core, _, pre = v.partition("-")
    return [int(p) for p in core.split(".")], pre.split(".") if pre else []


def _compare_pre(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return _cmp(not a, not b)  # no pre-release ranks above any pre-release
    for x, y in zip(a, b):
        if x.isdigit() and y.isdigit():
            c = _cmp(int(x), int(y))
        elif x.isdigit() or y.isdigit():
            c = -1 if x.isdigit() else 1
        else:
            c = _cmp(x, y)
        if c:
            return c
    return _cmp(len(a), len(b))


def compare(a: str, b: str) -> int:
    """Return -1 if a < b, 0 if they are equal, 1 if a > b."""
    (core_a, pre_a), (core_b, pre_b) = _parse(a), _parse(b)
    width = max(len(core_a), len(core_b))
    core_a += [0] * (width - len(core_a))
    core_b += [0] * (width - len(core_b))
    return _cmp(core_a, core_b) or _compare_pre(pre_a, pre_b)


def sort_versions(versions: list[str]) -> list[str]:
    return sorted(versions, key=functools.cmp_to_key(compare))
