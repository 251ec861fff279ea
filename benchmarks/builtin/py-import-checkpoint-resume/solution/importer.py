"""Bulk import of a JSON Lines export into the warehouse, resumable after a failure."""
from __future__ import annotations

import json
from pathlib import Path

from checkpoint import load_offset, save_offset


def import_file(path: str | Path, sink, checkpoint_path: str | Path, batch_size: int = 100) -> int:
    """Write the records after the checkpoint to sink in batches; return how many this run imported.

    Offsets are bytes (the file is read in binary, so multi-byte characters count right), and the checkpoint
    moves only after the sink has accepted a batch. A last line without its newline is still being written by
    the exporter: it is left for a later run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    offset = load_offset(checkpoint_path)
    imported = 0
    batch: list[dict] = []

    def commit(end: int) -> None:
        nonlocal imported, batch
        sink.write_batch(batch)
        save_offset(checkpoint_path, end)
        imported += len(batch)
        batch = []

    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            offset += len(raw)
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            batch.append(json.loads(line))
            if len(batch) == batch_size:
                commit(offset)
    if batch:
        commit(offset)
    return imported
