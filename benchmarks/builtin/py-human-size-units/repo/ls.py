"""Print a directory listing with sizes: python3 ls.py [DIR]."""
import os
import sys

from sizes import human_size


def listing(path: str) -> list:
    rows = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if os.path.isfile(full):
            rows.append(f"{human_size(os.path.getsize(full)):>10}  {name}")
    return rows


if __name__ == "__main__":
    print("\n".join(listing(sys.argv[1] if len(sys.argv) > 1 else ".")))
