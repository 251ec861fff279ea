"""JSON Pointer (RFC 6901) lookups."""


class PointerError(LookupError):
    """A pointer that does not resolve in the document."""


def split_pointer(pointer: str) -> list:
    return pointer.split("/")[1:]


def resolve(doc, pointer: str):
    node = doc
    for segment in split_pointer(pointer):
        node = node[segment]
    return node


def set_pointer(doc, pointer: str, value) -> None:
    """Replace the value at pointer (its parent must exist)."""
    segments = split_pointer(pointer)
    parent = resolve(doc, "/" + "/".join(segments[:-1])) if len(segments) > 1 else doc
    parent[segments[-1]] = value
