"""gitignore-style patterns for the backup tool."""
import re
from dataclasses import dataclass


def _glob_to_regex(glob: str) -> str:
    """Translate a gitignore glob: '*' and '?' stay within one path part, '**/' spans zero or more parts."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


@dataclass
class _Rule:
    regex: re.Pattern
    negated: bool
    dir_only: bool


class IgnoreRules:
    def __init__(self, text: str):
        self.rules = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            body = _glob_to_regex(line.lstrip("/"))
            prefix = "" if anchored else "(?:.*/)?"
            self.rules.append(_Rule(re.compile(prefix + body + r"\Z"), negated, dir_only))

    def _match(self, path: str, is_dir: bool) -> bool:
        """Whether path itself is ignored (the last matching rule wins), ignoring its parents."""
        ignored = False
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(path):
                ignored = not rule.negated
        return ignored

    def is_ignored(self, path: str, is_dir: bool = False) -> bool:
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            if self._match("/".join(parts[:depth]), True):
                return True
        return self._match("/".join(parts), is_dir)
