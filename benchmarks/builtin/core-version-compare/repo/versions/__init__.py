"""Compare and sort version strings such as "2.1.0" or "1.0.0-beta.2"."""

from versions.compare import compare, sort_versions

__all__ = ["compare", "sort_versions"]
