"""logscan errors FILE: print the error records of a log file."""
import sys

from logscan.parse import parse_records


def errors(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [r for r in parse_records(f.read()) if r.level in ("ERROR", "CRITICAL")]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "errors":
        print("usage: logscan errors FILE", file=sys.stderr)
        return 2
    found = errors(argv[1])
    for r in found:
        print(r.lines[0])
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
