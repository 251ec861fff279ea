import pytest

from app_config import settings
from dotenv import load_env

SAMPLE = r'''# database
export DB_URL = "postgres://app@db/app"   # primary
SECRET='a#b=c'
GREETING="hello\nworld"
QUOTE="say \"hi\" \\o/"
LITERAL='no\nescape'
PLAIN = value with spaces   # trailing comment
HASHY=abc#def
EMPTY=
'''


def test_sample():
    assert load_env(SAMPLE) == {
        "DB_URL": "postgres://app@db/app",
        "SECRET": "a#b=c",
        "GREETING": "hello\nworld",
        "QUOTE": 'say "hi" \\o/',
        "LITERAL": "no\\nescape",
        "PLAIN": "value with spaces",
        "HASHY": "abc#def",
        "EMPTY": "",
    }


def test_missing_equals():
    with pytest.raises(ValueError, match="line 2"):
        load_env("A=1\nNOT_A_PAIR\n")


def test_settings_file(tmp_path, monkeypatch):
    p = tmp_path / ".env"
    p.write_text("export PORT=8000\nNAME='x y'\n")
    monkeypatch.setenv("PORT", "9000")
    assert settings(str(p)) == {"PORT": "9000", "NAME": "x y"}
