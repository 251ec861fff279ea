"""Choose which files under a directory get backed up."""
import os

from ignore import IgnoreRules


def files_to_backup(root: str) -> list:
    """Relative paths (with '/') of files under root not excluded by root/.backupignore, sorted."""
    try:
        with open(os.path.join(root, ".backupignore"), encoding="utf-8") as f:
            rules = IgnoreRules(f.read())
    except FileNotFoundError:
        rules = IgnoreRules("")
    chosen = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not rules.is_ignored(rel_dir + d, is_dir=True))
        for name in sorted(filenames):
            if not rules.is_ignored(rel_dir + name):
                chosen.append(rel_dir + name)
    return sorted(chosen)
