import pytest

from patch import apply_patch
from pointer import PointerError, resolve

DOC = {
    "paths": {"/users/{id}": {"get": "getUser"}},
    "tags": ["a", "b", {"x": 1}],
    "a~b": 1, "~1": 2, "": 3, "m/n": {"k": 4},
}


@pytest.mark.parametrize("ptr,value", [
    ("/paths/~1users~1{id}/get", "getUser"), ("/tags/0", "a"), ("/tags/2/x", 1), ("/a~0b", 1),
    ("/~01", 2), ("/", 3), ("/m~1n/k", 4),
])
def test_resolve(ptr, value):
    assert resolve(DOC, ptr) == value


def test_whole_document():
    assert resolve(DOC, "") is DOC


@pytest.mark.parametrize("ptr", ["/tags/3", "/tags/01", "/tags/-1", "/tags/x", "/nope", "tags/0", "/tags/0/x"])
def test_errors(ptr):
    with pytest.raises(PointerError) as err:
        resolve(DOC, ptr)
    assert ptr in str(err.value)
    assert isinstance(err.value, LookupError)


def test_patch_with_escapes_and_index():
    out = apply_patch(DOC, [
        {"op": "replace", "path": "/paths/~1users~1{id}/get", "value": "fetchUser"},
        {"op": "replace", "path": "/tags/1", "value": "B"},
        {"op": "test", "path": "/tags/1", "value": "B"},
    ])
    assert out["paths"]["/users/{id}"]["get"] == "fetchUser" and out["tags"][1] == "B"
    assert DOC["tags"][1] == "b"
    with pytest.raises(PointerError):
        apply_patch(DOC, [{"op": "replace", "path": "/tags/9", "value": 0}])
