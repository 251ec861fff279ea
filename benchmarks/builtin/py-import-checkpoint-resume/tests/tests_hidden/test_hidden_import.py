import json

import pytest

import checkpoint
from checkpoint import load_offset, save_offset
from importer import import_file
from warehouse import MemorySink

NAMES = ["Ann", "Zoë", "Müller", "李雷", "Jürgen", "Bob", "Åsa", "Ōtani", "Eve", "Łukasz", "Renée", "Dan"]


def write_records(path, records, *, blank_every=None, mode="w"):
    with open(path, mode, encoding="utf-8", newline="") as f:
        for i, r in enumerate(records):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            if blank_every and i % blank_every == 0:
                f.write("\n")


class FlakySink(MemorySink):
    """Raises on the given write_batch calls (1-based), committing nothing for them."""

    def __init__(self, fail_on=()):
        super().__init__()
        self.calls = 0
        self.fail_on = set(fail_on)

    def write_batch(self, records):
        self.calls += 1
        if self.calls in self.fail_on:
            raise TimeoutError(f"warehouse timed out on batch {self.calls}")
        super().write_batch(records)


def ids(sink):
    return [r["id"] for r in sink.rows]


def records(n):
    return [{"id": i, "name": NAMES[i % len(NAMES)]} for i in range(n)]


def test_failed_batch_is_retried_not_skipped(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(10))
    sink = FlakySink(fail_on={2})
    with pytest.raises(TimeoutError):
        import_file(src, sink, ckpt, batch_size=3)
    assert ids(sink) == [0, 1, 2]
    sink.fail_on = set()
    assert import_file(src, sink, ckpt, batch_size=3) == 7
    assert ids(sink) == list(range(10))


def test_resume_with_multibyte_characters(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(25), blank_every=4)
    sink = FlakySink(fail_on={3, 5})
    for _ in range(10):
        try:
            import_file(src, sink, ckpt, batch_size=2)
            break
        except TimeoutError:
            continue
    assert ids(sink) == list(range(25))
    assert [r["name"] for r in sink.rows] == [r["name"] for r in records(25)]


def test_checkpoint_is_a_byte_offset(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(4))
    import_file(src, MemorySink(), ckpt, batch_size=2)
    assert load_offset(ckpt) == src.stat().st_size


def test_rerun_after_success_imports_nothing(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(7))
    sink = MemorySink()
    assert import_file(src, sink, ckpt, batch_size=3) == 7
    assert import_file(src, sink, ckpt, batch_size=3) == 0
    assert ids(sink) == list(range(7))
    write_records(src, [{"id": 7, "name": "Zoë"}, {"id": 8, "name": "Ann"}], mode="a")
    assert import_file(src, sink, ckpt, batch_size=3) == 2
    assert ids(sink) == list(range(9))


def test_half_written_last_line_waits(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(4))
    with open(src, "a", encoding="utf-8") as f:
        f.write('{"id": 4, "name": "Zo')
    sink = MemorySink()
    assert import_file(src, sink, ckpt, batch_size=10) == 4
    with open(src, "a", encoding="utf-8") as f:
        f.write('ë"}\n')
    assert import_file(src, sink, ckpt, batch_size=10) == 1
    assert sink.rows[-1] == {"id": 4, "name": "Zoë"}
    assert ids(sink) == [0, 1, 2, 3, 4]


def test_complete_json_without_newline_still_waits(tmp_path):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    src.write_text('{"id": 0}\n{"id": 12', encoding="utf-8")
    sink = MemorySink()
    assert import_file(src, sink, ckpt, batch_size=5) == 1
    with open(src, "a", encoding="utf-8") as f:
        f.write('3}\n')
    assert import_file(src, sink, ckpt, batch_size=5) == 1
    assert ids(sink) == [0, 123]


def test_checkpoint_saved_only_after_the_sink_accepts(tmp_path, monkeypatch):
    src, ckpt = tmp_path / "crm.jsonl", tmp_path / "crm.ckpt"
    write_records(src, records(6))
    seen = []

    class Sink(MemorySink):
        def write_batch(self, batch):
            seen.append((load_offset(ckpt), [r["id"] for r in batch]))
            super().write_batch(batch)

    import_file(src, Sink(), ckpt, batch_size=4)
    lines = src.read_bytes().splitlines(keepends=True)
    assert seen == [(0, [0, 1, 2, 3]), (sum(map(len, lines[:4])), [4, 5])]


def test_interrupted_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    ckpt = tmp_path / "crm.ckpt"
    save_offset(ckpt, 120)

    def power_cut(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(checkpoint.json, "dump", power_cut)
    monkeypatch.setattr(checkpoint.json, "dumps", power_cut)
    with pytest.raises(OSError):
        save_offset(ckpt, 240)
    monkeypatch.undo()
    assert load_offset(ckpt) == 120
    save_offset(ckpt, 240)
    assert load_offset(ckpt) == 240
