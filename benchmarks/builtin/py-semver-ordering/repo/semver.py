"""Semantic version parsing and ordering."""
import re
from dataclasses import dataclass

_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


@dataclass(frozen=True)
class Version:
    major: str
    minor: str
    patch: str
    prerelease: str = ""
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> "Version":
        m = _RE.match(text.strip())
        if not m:
            raise ValueError(f"not a semantic version: {text!r}")
        return cls(m[1], m[2], m[3], m[4] or "", m[5] or "")

    def key(self):
        return (self.major, self.minor, self.patch, self.prerelease)

    def __lt__(self, other: "Version") -> bool:
        return self.key() < other.key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        return text + (f"+{self.build}" if self.build else "")
