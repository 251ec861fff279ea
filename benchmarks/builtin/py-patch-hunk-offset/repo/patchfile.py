"""Command line: patchfile TARGET DIFF applies DIFF to TARGET in place."""
from __future__ import annotations

import sys
from pathlib import Path

from patch import PatchError, apply_patch


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: patchfile TARGET DIFF", file=sys.stderr)
        return 2
    target, diff = Path(args[0]), Path(args[1])
    try:
        new_text, offsets = apply_patch(target.read_text(), diff.read_text())
    except PatchError as e:
        print(f"{target}: {e}", file=sys.stderr)
        return 1
    target.write_text(new_text)
    for number, offset in enumerate(offsets, 1):
        if offset:
            print(f"hunk #{number} applied with offset {offset:+d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
