import pytest

from releases import latest_release
from semver import Version

ORDER = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
         "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0-rc.2", "1.10.0", "2.0.0", "10.0.0"]


def test_total_order():
    versions = [Version.parse(v) for v in ORDER]
    assert sorted(reversed(versions)) == versions
    for a, b in zip(versions, versions[1:]):
        assert a < b and not b < a


def test_build_metadata_ignored():
    assert not Version.parse("1.0.0+build.5") < Version.parse("1.0.0+build.1")
    assert not Version.parse("1.0.0+build.1") < Version.parse("1.0.0+build.5")
    assert str(Version.parse("v1.2.3-rc.1+sha.abc")) == "1.2.3-rc.1+sha.abc"


@pytest.mark.parametrize("tags,pre,expected", [
    (["v1.9.0", "v1.10.0", "v1.10.0-rc.2"], True, "v1.10.0"),
    (["1.0.0", "1.0.0-alpha"], True, "1.0.0"),
    (["v2.0.0-rc.1", "v1.4.2", "docs"], False, "v1.4.2"),
    (["v2.0.0-rc.1", "v1.4.2"], True, "v2.0.0-rc.1"),
    (["v2.0.0-beta.11", "v2.0.0-beta.9"], True, "v2.0.0-beta.11"),
    (["latest"], True, None),
])
def test_latest(tags, pre, expected):
    assert latest_release(tags, include_prerelease=pre) == expected
