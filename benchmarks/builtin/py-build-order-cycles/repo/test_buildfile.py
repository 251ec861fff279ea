from buildrun.buildfile import plan


def test_chain():
    assert plan("app: lib\nlib: base\nbase:\n") == ["base", "lib", "app"]
