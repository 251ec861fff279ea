"""Where an import got to: a small JSON file holding a byte offset into the input."""
from __future__ import annotations

import json
from pathlib import Path


def load_offset(path: str | Path) -> int:
    """The saved offset, or 0 when there is no checkpoint yet."""
    try:
        with open(path, encoding="utf-8") as f:
            return int(json.load(f)["offset"])
    except FileNotFoundError:
        return 0


def save_offset(path: str | Path, offset: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"offset": offset}, f)
