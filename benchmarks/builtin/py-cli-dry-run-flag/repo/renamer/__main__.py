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
    args = parser.parse_args(argv)
    for old, new in plan_renames(args.directory, args.pattern, args.replace):
        print(f"{old} -> {new}")
        os.rename(os.path.join(args.directory, old), os.path.join(args.directory, new))
    return 0


if __name__ == "__main__":
    sys.exit(main())
