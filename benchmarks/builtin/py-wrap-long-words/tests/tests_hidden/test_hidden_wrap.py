import json
import subprocess
import sys

from helptext import format_help
from wrap import wrap


def wrap_in_child(text, width):
    """Run wrap() in a child process so that an endless loop fails the test instead of hanging it."""
    code = f"import json, wrap; print(json.dumps(wrap.wrap({text!r}, {width})))"
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=2)
    except subprocess.TimeoutExpired:
        raise AssertionError("wrap() did not return within 2 seconds") from None
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_long_word_is_split():
    url = "https://example.com/" + "a" * 30
    lines = wrap_in_child("see " + url + " now", 20)
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
