"""Where an import got to: a small JSON file holding a byte offset into the input."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def load_offset(path: str | Path) -> int:
    """The saved offset, or 0 when there is no checkpoint yet."""
    try:
        with open(path, encoding="utf-8") as f:
            return int(json.load(f)["offset"])
    except FileNotFoundError:
        return 0


def save_offset(path: str | Path, offset: int) -> None:
    """Replace the checkpoint atomically: readers see the old offset or the new one, never a partial file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"offset": offset}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
