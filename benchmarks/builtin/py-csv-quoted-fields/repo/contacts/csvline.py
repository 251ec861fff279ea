"""A minimal CSV row splitter (no csv module: this also runs on MicroPython)."""


def split_row(line: str, line_no: int = 1) -> list:
    """Split one CSV line into fields."""
    return [field.strip('"') for field in line.rstrip("\r\n").split(",")]
