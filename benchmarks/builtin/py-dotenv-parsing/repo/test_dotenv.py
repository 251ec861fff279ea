from dotenv import load_env


def test_simple():
    assert load_env("A=1\n\n# c\nB=two\n") == {"A": "1", "B": "two"}
