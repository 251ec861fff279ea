"""Parse Buildfiles: one target per line, `name: dep1 dep2`, `#` comments."""
from buildrun.graph import build_order


def parse(text: str) -> dict:
    deps = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(":")
        deps[name.strip()] = rest.split()
    return deps


def plan(text: str, targets=None) -> list:
    return build_order(parse(text), targets)
