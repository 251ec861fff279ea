"""gitignore-style patterns for the backup tool."""
import fnmatch


class IgnoreRules:
    def __init__(self, text: str):
        self.patterns = []
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                self.patterns.append(line)

    def is_ignored(self, path: str, is_dir: bool = False) -> bool:
        for pattern in self.patterns:
            if pattern.startswith("!"):
                continue
            pat = pattern.strip("/")
            if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, "*/" + pat) or \
                    any(fnmatch.fnmatch(part, pat) for part in path.split("/")):
                return True
        return False
