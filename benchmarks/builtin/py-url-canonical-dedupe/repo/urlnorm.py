"""Canonical URLs, so that the crawler fetches each page once."""
from __future__ import annotations

import posixpath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = ("utm_", "fbclid", "gclid")  # utm_ is a prefix


def _tracking(name: str) -> bool:
    return name.startswith("utm_") or name in TRACKING


def canonicalize(url: str) -> str:
    """The canonical form of an absolute http(s) URL."""
    parts = urlsplit(url.strip().lower())
    netloc = parts.netloc.replace(":80", "").replace(":443", "")
    path = posixpath.normpath(parts.path) if parts.path else "/"
    params = sorted((k, v) for k, v in parse_qsl(parts.query) if not _tracking(k))
    return urlunsplit((parts.scheme, netloc, path, urlencode(params), ""))
