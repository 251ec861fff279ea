"""What a server's model list (``GET /models``) says: the names it serves and, where it states one, each window.

No field is standard: OpenAI lists names only, and the servers that state a context window each name it their own
way, so the keys are tried in order of how directly they give the window the server runs with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: where servers state a model's window: vLLM, LM Studio and OpenRouter, Groq, llama.cpp's server (the context it
#: runs with, then the one the model was trained with, which the server may run smaller)
WINDOW_KEYS = ("max_model_len", "context_length", "context_window", "meta.n_ctx", "meta.n_ctx_train")


@dataclass(frozen=True)
class Listing:
    """The models a server lists, in its order, each with the window it states (or None)."""

    models: Mapping[str, tuple[int, str] | None]  # name -> (window, the key that stated it)

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def find(self, name: str) -> str | None:
        """The listed name for ``name``: itself, or Ollama's ``name:latest`` that a bare name means."""
        return next((n for n in (name, f"{name}:latest") if n in self.models), None)

    def window(self, name: str) -> int | None:
        stated = self.models.get(self.find(name) or "")
        return stated[0] if stated else None

    def stated_by(self, name: str) -> str | None:
        """The key the window of ``name`` came from ("max_model_len", "meta.n_ctx_train", ...), or None."""
        stated = self.models.get(self.find(name) or "")
        return stated[1] if stated else None


def parse_listing(body: bytes) -> Listing | None:
    """The model list in a ``GET /models`` reply (``{"data": [...]}``, or the bare array some servers send); None
    when the body is not one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return None
    entries = [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    if len(entries) != len(items):
        return None
    return Listing({entry["id"]: _window(entry) for entry in entries})


def _window(entry: Mapping[str, Any]) -> tuple[int, str] | None:
    for key in WINDOW_KEYS:
        value: Any = entry
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if type(value) is int and value > 0:
            return value, key
    return None
