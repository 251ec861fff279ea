from datetime import datetime, timezone

from audit import AuditLog


def test_records_lines(tmp_path):
    log = AuditLog(tmp_path / "audit.log", clock=lambda: datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))
    log.record("ann", "login")
    log.record("bob", "delete report-7")
    assert log.history() == ["2024-05-01T12:00:00Z ann login", "2024-05-01T12:00:00Z bob delete report-7"]
    assert log.history("bob") == ["2024-05-01T12:00:00Z bob delete report-7"]
