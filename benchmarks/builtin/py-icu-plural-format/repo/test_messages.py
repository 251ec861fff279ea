from catalog import translate
from messages import format_message


def test_plain_argument():
    assert format_message("Hello, {name}!", name="Ann") == "Hello, Ann!"


def test_simple_plural():
    pattern = "{count, plural, one {# file} other {# files}}"
    assert format_message(pattern, count=1) == "1 file"
    assert format_message(pattern, count=3) == "3 files"


def test_catalog():
    assert translate("en", "inbox", count=2) == "You have 2 new messages"
