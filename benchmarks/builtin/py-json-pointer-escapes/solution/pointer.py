"""JSON Pointer (RFC 6901) lookups."""
import re


class PointerError(LookupError):
    """A pointer that does not resolve in the document."""


def split_pointer(pointer: str) -> list:
    """Unescaped reference tokens: "" -> [], "/a~1b/~01" -> ["a/b", "~1"]."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"pointer {pointer!r} must be empty or start with '/'")
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]


def _step(node, segment: str, pointer: str):
    """(container, key) for one segment, checked to exist."""
    if isinstance(node, list):
        if not re.fullmatch(r"0|[1-9][0-9]*", segment) or int(segment) >= len(node):
            raise PointerError(f"pointer {pointer!r}: bad array index {segment!r}")
        return int(segment)
    if isinstance(node, dict):
        if segment not in node:
            raise PointerError(f"pointer {pointer!r}: no key {segment!r}")
        return segment
    raise PointerError(f"pointer {pointer!r}: cannot descend into {type(node).__name__}")


def resolve(doc, pointer: str):
    node = doc
    for segment in split_pointer(pointer):
        node = node[_step(node, segment, pointer)]
    return node


def set_pointer(doc, pointer: str, value) -> None:
    """Replace the value at pointer (it must exist)."""
    segments = split_pointer(pointer)
    if not segments:
        raise PointerError("cannot replace the whole document in place")
    parent = doc
    for segment in segments[:-1]:
        parent = parent[_step(parent, segment, pointer)]
    parent[_step(parent, segments[-1], pointer)] = value
