"""Command line: rename files in a directory with a regular expression."""
import argparse
import os
import sys

from renamer.plan import plan_renames


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="renamer")
    parser.add_argument("directory")
    parser.add_argument("--pattern", required=True)
    parser.add_argument("--replace", required=True)
    parser.add_argument("--dry-run", action="store_true", help="print the renames without doing them")
    args = parser.parse_args(argv)
    status = 0
    for old, new in plan_renames(args.directory, args.pattern, args.replace):
        target = os.path.join(args.directory, new)
        if os.path.exists(target):
            print(f"skip: {old} ({new} exists)", file=sys.stderr)
            status = 1
            continue
        print(f"{old} -> {new}")
        if not args.dry_run:
            os.rename(os.path.join(args.directory, old), target)
    return status


if __name__ == "__main__":
    sys.exit(main())
