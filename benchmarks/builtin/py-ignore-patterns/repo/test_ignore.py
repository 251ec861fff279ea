from ignore import IgnoreRules


def test_simple_glob():
    rules = IgnoreRules("*.pyc\n")
    assert rules.is_ignored("a/b/c.pyc")
    assert not rules.is_ignored("a/b/c.py")
