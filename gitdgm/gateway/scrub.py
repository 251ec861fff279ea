"""Taking secrets out of everything the gateway relays to an agent or writes to a transcript.

The API key lives only in the gateway, but an upstream can quote it back (an error body that echoes the
Authorization header, a proxy's debug page), and a model can repeat credentials it was shown. Anything that
reaches an agent or a transcript, whatever its status, passes through ``Scrubber.scrub`` first: the key itself
(also URL- or JSON-escaped), any ``Bearer`` value, gitdgm run tokens, and common credential shapes become
``[redacted]``. Work is on bytes, so that a body that is not valid UTF-8 is scrubbed too.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable

REDACTED = b"[redacted]"

# Shapes of credentials that must never be relayed, whoever they belong to; \b keeps "task-..." whole.
_SHAPES = [
    rb"\b(?i:bearer)[ \t]+[A-Za-z0-9._~+/=-]{8,}",  # an Authorization value (RFC 6750), not "bearer of"
    rb"\bgdgm-run-[A-Za-z0-9_-]+",  # gitdgm run tokens: one run must never learn another's
    rb"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI and OpenAI-style keys (sk-proj-..., sk-ant-...)
    rb"\bgh[opsur]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}",  # GitHub tokens
    rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key ids
    rb"\bxox[abpr]-[A-Za-z0-9-]{10,}",  # Slack tokens
    rb"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face tokens
    rb"\bAIza[0-9A-Za-z_-]{35}",  # Google API keys
]


class Scrubber:
    """Replaces ``secrets`` (exact values, also URL- and JSON-escaped) and credential shapes with ``[redacted]``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        exact: set[bytes] = set()
        for secret in filter(None, secrets):
            for form in (secret, urllib.parse.quote(secret, safe=""), json.dumps(secret)[1:-1]):
                exact.add(form.encode())
        # Longest first, so that a secret is not half-replaced by a shorter form of itself.
        alternatives = [re.escape(s) for s in sorted(exact, key=len, reverse=True)] + _SHAPES
        self._pattern = re.compile(b"|".join(alternatives))

    def scrub(self, data: bytes) -> bytes:
        return self._pattern.sub(REDACTED, data)
