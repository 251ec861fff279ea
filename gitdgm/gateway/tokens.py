"""Token counts where no server gives one: an estimate from size, and a context window read from a refusal.

gitdgm counts tokens from the upstream's ``usage``; some servers send none in a stream (they ignore
``stream_options.include_usage``), and prompts must be cut to a window before any server has seen them. Both use
one estimate: a token per 3 bytes of UTF-8, which counts English and code for the common tokenizers (3.5 to 4.5
bytes a token) on the high side, so a budget stops early rather than late and a prompt fits rather than overflows.
"""

from __future__ import annotations

import re

BYTES_PER_TOKEN = 3
DEFAULT_CONTEXT_WINDOW = 128_000

#: how servers state the window when they refuse a prompt that does not fit it (OpenAI and vLLM, llama-cpp-python,
#: llama.cpp's server, generic wordings)
_WINDOW_STATEMENTS = (
    r"maximum context length is (\d+)",
    r"exceeds? (?:the )?context window of (\d+)",
    r"available context size \((\d+) tokens?\)",
    r"context (?:window|length|size)(?: of| is|:)? (\d+)",
)


def estimate_tokens(text: str | bytes) -> int:
    """Tokens in ``text`` by size (see the module's docstring): 0 for nothing, at least 1 for anything."""
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    return -(-size // BYTES_PER_TOKEN)


def stated_window(message: str) -> int | None:
    """The context window a server's refusal states ("maximum context length is 8192 tokens"), or None."""
    for pattern in _WINDOW_STATEMENTS:
        found = re.search(pattern, message, re.IGNORECASE)
        if found and int(found.group(1)) >= 64:
            return int(found.group(1))
    return None
