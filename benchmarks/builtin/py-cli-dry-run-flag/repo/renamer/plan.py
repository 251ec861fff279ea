"""Work out which files get which new names."""
import os
import re


def plan_renames(directory: str, pattern: str, replace: str) -> list:
    """[(old, new)] for files in directory whose name matches pattern, sorted by old name."""
    regex = re.compile(pattern)
    plan = []
    for name in sorted(os.listdir(directory)):
        if not os.path.isfile(os.path.join(directory, name)):
            continue
        new = regex.sub(replace, name, count=1)
        if new != name:
            plan.append((name, new))
    return plan
