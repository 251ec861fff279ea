from logscan.parse import parse_records


def test_single_lines():
    text = "2024-05-01 12:00:00,001 INFO app: start\n2024-05-01 12:00:01,002 WARNING app.db: slow\n"
    records = parse_records(text)
    assert [(r.level, r.logger, r.message) for r in records] == [("INFO", "app", "start"), ("WARNING", "app.db", "slow")]
