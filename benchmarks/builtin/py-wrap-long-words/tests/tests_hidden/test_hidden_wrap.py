import pytest

from helptext import format_help
from wrap import wrap


@pytest.mark.timeout(5) if False else (lambda f: f)
def test_long_word_is_split():
    url = "https://example.com/" + "a" * 30
    lines = wrap("see " + url + " now", 20)
    assert lines == ["see", url[:20], url[20:40], url[40:] + " now"]


def test_exact_width_word():
    assert wrap("abcde fghij", 5) == ["abcde", "fghij"]


def test_indent_on_every_line():
    lines = wrap("one two three four five six", 12, indent="  ")
    assert lines == ["  one two", "  three four", "  five six"]
    assert all(len(l) <= 12 for l in lines)


def test_format_help_paragraphs():
    out = format_help("alpha beta gamma delta\n\nsecond paragraph here", width=14)
    assert out == "  alpha beta\n  gamma delta\n\n  second\n  paragraph\n  here"


def test_empty():
    assert wrap("   ", 10) == []
