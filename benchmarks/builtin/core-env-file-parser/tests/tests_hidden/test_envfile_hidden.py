import pytest

from envfile import parse_env


def test_comments_blank_lines_and_export():
    text = "# settings\n\n  # indented comment\nexport HOST = example.org\nPORT=8080 # the port\n"
    assert parse_env(text) == {"HOST": "example.org", "PORT": "8080"}


def test_quotes():
    text = "A='it # is $raw\\n'\nB=\"two\\nlines # kept \\\"q\\\"\"\nC=x=y\n"
    assert parse_env(text) == {"A": "it # is $raw\\n", "B": 'two\nlines # kept "q"', "C": "x=y"}


def test_empty_value_and_last_wins():
    assert parse_env("A=\nA=2\nB=''") == {"A": "2", "B": ""}


@pytest.mark.parametrize("text,line", [("A=1\nnot a pair\n", 2), ("A=1\nB=2\n=3\n", 3)])
def test_errors_name_the_line(text, line):
    with pytest.raises(ValueError, match=f"line {line}"):
        parse_env(text)
