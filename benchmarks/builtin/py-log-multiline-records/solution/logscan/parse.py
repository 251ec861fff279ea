"""Split log text into records."""
import re
from dataclasses import dataclass, field

_HEAD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+) ([\w.]+): (.*)$")


@dataclass
class Record:
    timestamp: str
    level: str
    logger: str
    message: str
    lines: list = field(default_factory=list)


def parse_records(text: str) -> list:
    """Records in order; any line without a timestamp head continues the previous record."""
    records = []
    for line in text.splitlines():
        m = _HEAD.match(line)
        if m:
            records.append(Record(m[1], m[2], m[3], m[4], [line]))
        elif records:
            records[-1].lines.append(line)
    return records


def count_by_level(records: list) -> dict:
    counts = {}
    for r in records:
        counts[r.level] = counts.get(r.level, 0) + 1
    return counts
