import subprocess
import sys

from logscan.parse import count_by_level, parse_records

LOG = """  File "rotated.py", line 1, in <module>
ValueError: from the previous file
2024-05-01 12:00:00,001 INFO app: start
2024-05-01 12:00:02,500 ERROR worker: job 7 failed
Traceback (most recent call last):
  File "worker.py", line 10, in run
    do()
KeyError: 'x'
2024-05-01 12:00:03,000 WARNING app.db: slow query
2024-05-01 12:00:04,000 CRITICAL worker: giving up
Traceback (most recent call last):
  File "worker.py", line 20, in main
ValueError: bad config
"""


def test_records():
    records = parse_records(LOG)
    assert [r.level for r in records] == ["INFO", "ERROR", "WARNING", "CRITICAL"]
    err = records[1]
    assert err.message == "job 7 failed" and err.timestamp == "2024-05-01 12:00:02,500"
    assert err.lines[1:] == ["Traceback (most recent call last):", '  File "worker.py", line 10, in run',
                             "    do()", "KeyError: 'x'"]
    assert records[-1].lines[-1] == "ValueError: bad config"
    assert count_by_level(records) == {"INFO": 1, "ERROR": 1, "WARNING": 1, "CRITICAL": 1}


def test_last_single_line_and_empty():
    assert [r.message for r in parse_records("2024-05-01 12:00:00,001 INFO a: x\n")] == ["x"]
    assert parse_records("") == []
    assert parse_records("  orphan\n") == []


def test_cli(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(LOG)
    r = subprocess.run([sys.executable, "-m", "logscan", "errors", str(log)], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "2024-05-01 12:00:02,500 ERROR worker: job 7 failed",
        "  Traceback (most recent call last):",
        '    File "worker.py", line 10, in run',
        "      do()",
        "  KeyError: 'x'",
        "2024-05-01 12:00:04,000 CRITICAL worker: giving up",
        "  Traceback (most recent call last):",
        '    File "worker.py", line 20, in main',
        "  ValueError: bad config",
    ]
    quiet = tmp_path / "ok.log"
    quiet.write_text("2024-05-01 12:00:00,001 INFO app: start\n")
    assert subprocess.run([sys.executable, "-m", "logscan", "errors", str(quiet)]).returncode == 0
