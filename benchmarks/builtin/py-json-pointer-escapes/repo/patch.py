"""Apply a list of {"op": "replace"|"test", "path": ..., "value": ...} operations to a document."""
import copy

from pointer import resolve, set_pointer


def apply_patch(doc, ops: list):
    doc = copy.deepcopy(doc)
    for op in ops:
        if op["op"] == "replace":
            resolve(doc, op["path"])  # must exist
            set_pointer(doc, op["path"], op["value"])
        elif op["op"] == "test":
            if resolve(doc, op["path"]) != op["value"]:
                raise ValueError(f"test failed at {op['path']}")
        else:
            raise ValueError(f"unsupported op {op['op']!r}")
    return doc
