import pytest

from versions import compare, sort_versions


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("1.10.0", "1.9.0", 1),
        ("1.0", "1.0.0", 0),
        ("2", "1.99.99", 1),
        ("1.0.0-rc.1", "1.0.0", -1),
        ("1.0.0-alpha", "1.0.0-alpha.1", -1),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta", -1),
        ("1.0.0-beta.2", "1.0.0-beta.11", -1),
        ("1.0.0-beta", "1.0.0-alpha", 1),
        ("1.0.0+build.5", "1.0.0", 0),
        ("1.2.3", "1.2.3", 0),
    ],
)
def test_compare(a, b, expected):
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


def test_sort():
    given = ["1.10.0", "1.0.0", "1.0.0-rc.1", "1.9.0", "1.0.0-alpha", "0.9"]
    assert sort_versions(given) == ["0.9", "1.0.0-alpha", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0"]


@pytest.mark.parametrize("bad", ["", "v1.0", "1..0", "1.0-"])
def test_invalid(bad):
    with pytest.raises(ValueError):
        compare(bad, "1.0")
