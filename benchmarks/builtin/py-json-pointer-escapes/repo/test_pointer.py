from pointer import resolve


def test_plain_keys():
    assert resolve({"a": {"b": 1}}, "/a/b") == 1
