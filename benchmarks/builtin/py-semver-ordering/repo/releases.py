"""Pick releases out of a repository's tags."""
from semver import Version


def latest_release(tags: list, include_prerelease: bool = True):
    """The tag with the highest version, or None."""
    best = None
    for tag in tags:
        try:
            version = Version.parse(tag)
        except ValueError:
            continue
        if best is None or best[0] < version:
            best = (version, tag)
    return best[1] if best else None
