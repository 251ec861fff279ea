import json

from importer import import_file
from warehouse import MemorySink


def test_import_small_file(tmp_path):
    src = tmp_path / "customers.jsonl"
    src.write_text("".join(json.dumps({"id": i}) + "\n" for i in range(5)), encoding="utf-8")
    sink = MemorySink()
    assert import_file(src, sink, tmp_path / "import.ckpt", batch_size=2) == 5
    assert [r["id"] for r in sink.rows] == [0, 1, 2, 3, 4]
