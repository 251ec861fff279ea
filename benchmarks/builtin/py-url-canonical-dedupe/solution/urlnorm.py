"""Canonical URLs, so that the crawler fetches each page once."""
from __future__ import annotations

import re
import string
from urllib.parse import urlsplit, urlunsplit

TRACKING = ("fbclid", "gclid")  # and every utm_* parameter
DEFAULT_PORTS = {"http": "80", "https": "443"}
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _tracking(name: str) -> bool:
    return name.startswith("utm_") or name in TRACKING


def _normalize_escapes(text: str) -> str:
    """Upper-case hex in percent-escapes; decode the escapes of unreserved characters."""
    def fix(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in UNRESERVED else "%" + m.group(1).upper()
    return ESCAPE.sub(fix, text)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    out: list[str] = []
    rest = path
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith("./"):
            rest = rest[2:]
        elif rest.startswith("/./"):
            rest = "/" + rest[3:]
        elif rest == "/.":
            rest = "/"
        elif rest.startswith("/../") or rest == "/..":
            rest = "/" + rest[4:]
            if out:
                out.pop()
        elif rest in (".", ".."):
            rest = ""
        else:
            end = rest.find("/", 1)
            segment = rest if end == -1 else rest[:end]
            out.append(segment)
            rest = rest[len(segment):]
    return "".join(out)


def _netloc(scheme: str, netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport, "", ""
    if not hostport.endswith("]"):  # not a bare IPv6 literal
        head, colon, tail = hostport.rpartition(":")
        if colon and tail.isdigit() or colon and not tail:
            host, port = head, tail
    port_part = f":{port}" if port and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{userinfo}{at}{host.lower()}{port_part}"


def _query(query: str) -> str:
    params = [_normalize_escapes(p) for p in query.split("&") if p]
    kept = [p for p in params if not _tracking(p.partition("=")[0])]
    kept.sort(key=lambda p: p.partition("=")[0])  # stable: same names keep their order
    return "&".join(kept)


def canonicalize(url: str) -> str:
    """The canonical form of an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    path = remove_dot_segments(_normalize_escapes(parts.path)) or "/"
    return urlunsplit((scheme, _netloc(scheme, parts.netloc), path, _query(parts.query), ""))
