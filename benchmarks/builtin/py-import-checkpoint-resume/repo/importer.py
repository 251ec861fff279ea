"""Bulk import of a JSON Lines export into the warehouse, resumable after a failure."""
from __future__ import annotations

import json
from pathlib import Path

from checkpoint import load_offset, save_offset


def import_file(path: str | Path, sink, checkpoint_path: str | Path, batch_size: int = 100) -> int:
    """Write the records after the checkpoint to sink in batches; return how many this run imported."""
    offset = load_offset(checkpoint_path)
    imported = 0
    batch: list[dict] = []
    with open(path, encoding="utf-8") as f:
        f.seek(offset)
        for line in f:
            offset += len(line)
            if not line.strip():
                continue
            batch.append(json.loads(line))
            if len(batch) == batch_size:
                save_offset(checkpoint_path, offset)
                sink.write_batch(batch)
                imported += len(batch)
                batch = []
    if batch:
        sink.write_batch(batch)
        imported += len(batch)
    return imported
