import re

import pytest

from filters import apply_filter
from likematch import like


@pytest.mark.parametrize(("value", "pattern", "expected"), [
    ("bob@example.com", "%@example.com", True),
    ("bob@exampleXcom", "%@example.com", False),
    ("x@example.com.evil.org", "%@example.com", False),
    ("abc", "a.c", False),
    ("a.c", "a.c", True),
    ("Report (draft 2)", "Report (draft%", True),
    ("[x]*+?{1}^$|\\", "[x]*+?{1}^$|\\", True),
    ("[x]", "[x]*", False),
    ("", "%", True),
    ("", "_", False),
    ("ab", "_", False),
    ("a", "_", True),
    ("line one\nline two", "line%two", True),
    ("a\nb", "a_b", True),
    ("abc", "ab", False),
    ("xabc", "abc", False),
    ("100%", "100%", True),
    ("aXbXc", "a%b%c", True),
    ("Jane", "jane", False),
])
def test_like(value, pattern, expected):
    assert like(value, pattern) is expected


def test_ignore_case():
    assert like("Jane", "jane", ignore_case=True)
    assert like("ÉCOLE", "éc%", ignore_case=True)
    assert not like("Jane", "jo%", ignore_case=True)


@pytest.mark.parametrize(("value", "pattern", "escape", "expected"), [
    ("50%", "50!%", "!", True),
    ("500", "50!%", "!", False),
    ("a_b", "a!_b", "!", True),
    ("axb", "a!_b", "!", False),
    ("a!b", "a!!b", "!", True),
    ("100% done", "%!%%", "!", True),
    ("100 done", "%!%%", "!", False),
    ("C:\\tmp", "C:\\\\%", "\\", True),
    ("50%", "50#%", "#", True),
])
def test_escape(value, pattern, escape, expected):
    assert like(value, pattern, escape) is expected


@pytest.mark.parametrize(("pattern", "escape"), [("50!", "!"), ("a!b", "!"), ("a%", "!!"), ("a%", "")])
def test_bad_escape(pattern, escape):
    with pytest.raises(ValueError):
        like("whatever", pattern, escape)


def test_no_regex_errors_leak():
    for pattern in ["(", "[", "a{2", "*", "\\", "+?"]:
        assert like(pattern, pattern) is True
        assert like("x", pattern) is False


ROWS = [
    {"id": 1, "email": "ann@example.com", "note": "call back\nurgent", "code": "50%"},
    {"id": 2, "email": "bob@exampleXcom", "note": None, "code": "500"},
    {"id": 3, "email": None, "note": "urgent", "code": "50_"},
    {"id": 4, "email": "CAT@EXAMPLE.COM", "note": "", "code": None},
    {"id": 5, "note": "later"},
]


def ids(rows):
    return [r["id"] for r in rows]


def test_filters_end_to_end():
    assert ids(apply_filter(ROWS, "email LIKE '%@example.com'")) == [1]
    assert ids(apply_filter(ROWS, "email ILIKE '%@example.com'")) == [1, 4]
    assert ids(apply_filter(ROWS, "email not like '%@example.com'")) == [2, 4]
    assert ids(apply_filter(ROWS, "note LIKE '%urgent'")) == [1, 3]
    assert ids(apply_filter(ROWS, "note NOT LIKE '%urgent'")) == [4, 5]
    assert ids(apply_filter(ROWS, "code LIKE '50!%' ESCAPE '!'")) == [1]
    assert ids(apply_filter(ROWS, "code NOT LIKE '50!_' ESCAPE '!'")) == [1, 2]
    assert ids(apply_filter(ROWS, "code LIKE '50_'")) == [1, 2, 3]


def test_bad_escape_in_filter():
    with pytest.raises(ValueError):
        apply_filter(ROWS, "code LIKE '50!' ESCAPE '!'")
    with pytest.raises(ValueError):
        apply_filter(ROWS, "code LIKE '50' ESCAPE 'ab'")


def test_result_is_not_a_regex_leak():
    # the matcher must not raise re.error for any printable pattern
    for ch in map(chr, range(32, 127)):
        try:
            like("x", ch)
        except re.error as e:  # pragma: no cover - the failure we guard against
            pytest.fail(f"pattern {ch!r} raised {e}")
