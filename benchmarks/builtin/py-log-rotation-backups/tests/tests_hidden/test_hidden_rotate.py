from datetime import datetime, timezone

from audit import AuditLog
from rotate import RotatingWriter


def contents(path):
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else None


def test_backups_shift_in_order(tmp_path):
    w = RotatingWriter(tmp_path / "audit.log", max_bytes=6, backups=3)
    for i in range(1, 6):  # "line1\n" is 6 bytes: one line per file
        w.write(f"line{i}")
    assert contents(tmp_path / "audit.log") == ["line5"]
    assert contents(tmp_path / "audit.log.1") == ["line4"]
    assert contents(tmp_path / "audit.log.2") == ["line3"]
    assert contents(tmp_path / "audit.log.3") == ["line2"]
    assert not (tmp_path / "audit.log.4").exists()
    assert w.read_lines() == ["line2", "line3", "line4", "line5"]


def test_rotate_before_the_limit_is_crossed(tmp_path):
    path = tmp_path / "a.log"
    w = RotatingWriter(path, max_bytes=10, backups=2)
    w.write("aaaa")  # 5 bytes
    w.write("bbbb")  # 10 bytes: fits exactly
    assert contents(path) == ["aaaa", "bbbb"] and not (tmp_path / "a.log.1").exists()
    w.write("cc")  # would be 13: rotate first
    assert contents(path) == ["cc"]
    assert contents(tmp_path / "a.log.1") == ["aaaa", "bbbb"]
    for p in tmp_path.iterdir():
        assert p.stat().st_size <= 10, p


def test_long_line_goes_alone_into_a_fresh_file(tmp_path):
    path = tmp_path / "a.log"
    w = RotatingWriter(path, max_bytes=8, backups=5)
    w.write("x" * 20)  # empty file: not rotated, even though the line is too long
    assert contents(path) == ["x" * 20] and not (tmp_path / "a.log.1").exists()
    w.write("y")
    assert contents(path) == ["y"]
    w.write("z" * 30)
    w.write("ok")
    assert w.read_lines() == ["x" * 20, "y", "z" * 30, "ok"]
    assert contents(tmp_path / "a.log.2") == ["y"]


def test_sizes_count_utf8_bytes(tmp_path):
    path = tmp_path / "a.log"
    w = RotatingWriter(path, max_bytes=12, backups=1)
    w.write("ééé")  # 7 bytes
    w.write("éé")  # 5 more: 12, fits
    assert contents(path) == ["ééé", "éé"]
    w.write("a")
    assert contents(path) == ["a"]


def test_restart_counts_existing_file(tmp_path):
    path = tmp_path / "a.log"
    RotatingWriter(path, max_bytes=20, backups=2).write("x" * 15)
    w = RotatingWriter(path, max_bytes=20, backups=2)
    w.write("y" * 8)
    assert contents(path) == ["y" * 8]
    assert contents(tmp_path / "a.log.1") == ["x" * 15]


def test_no_backups_truncates(tmp_path):
    path = tmp_path / "a.log"
    w = RotatingWriter(path, max_bytes=6, backups=0)
    w.write("one")
    w.write("two")
    w.write("three")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log"]
    assert contents(path) == ["three"]
    assert w.read_lines() == ["three"]


def test_many_rotations_keep_the_newest(tmp_path):
    w = RotatingWriter(tmp_path / "a.log", max_bytes=12, backups=2)
    for i in range(100):
        w.write(f"event {i:03}")  # 10 bytes each: one per file
    assert w.read_lines() == ["event 097", "event 098", "event 099"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log", "a.log.1", "a.log.2"]


def test_audit_history_across_files(tmp_path):
    clock = iter(datetime(2024, 5, 1, 12, m, tzinfo=timezone.utc) for m in range(60))
    # each line is 34 bytes: two per file, three files
    log = AuditLog(tmp_path / "audit.log", max_bytes=68, backups=3, clock=lambda: next(clock))
    for i in range(6):
        log.record("ann" if i % 2 else "bob", f"action-{i}")
    events = log.history()
    assert [e.split(" ")[2] for e in events] == [f"action-{i}" for i in range(6)]
    assert [e.split(" ")[2] for e in log.history("ann")] == ["action-1", "action-3", "action-5"]
