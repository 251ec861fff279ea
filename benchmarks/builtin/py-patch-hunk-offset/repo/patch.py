"""Apply unified-diff hunks to a file's text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@")


class PatchError(Exception):
    """The diff is malformed or does not apply."""


@dataclass
class Hunk:
    old_start: int  # 1-based line of the original file the hunk starts at
    old_len: int
    new_start: int
    new_len: int
    lines: list[str] = field(default_factory=list)  # each starts with " ", "-" or "+"

    def old_lines(self) -> list[str]:
        """The lines the file must hold: context and removed lines."""
        return [line[1:] for line in self.lines if line[0] in " -"]

    def new_lines(self) -> list[str]:
        """The lines that replace them: context and added lines."""
        return [line[1:] for line in self.lines if line[0] in " +"]


def parse_hunks(diff_text: str) -> list[Hunk]:
    """The hunks of a single-file unified diff (`---`/`+++` file headers are skipped)."""
    hunks: list[Hunk] = []
    for line in diff_text.splitlines(keepends=True):
        if line.startswith(("--- ", "+++ ", "diff ")):
            continue
        if line.startswith("@@"):
            m = HEADER.match(line)
            if not m:
                raise PatchError(f"malformed hunk header: {line.rstrip()}")
            hunks.append(Hunk(*(int(g) for g in m.groups())))
        elif line[:1] in (" ", "-", "+") and hunks:
            hunks[-1].lines.append(line)
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file"
        else:
            raise PatchError(f"unexpected line in diff: {line.rstrip()}")
    return hunks


def apply_patch(text: str, diff_text: str) -> tuple[str, list[int]]:
    """Apply a unified diff to text; return the new text and, per hunk, how far it was moved."""
    lines = text.splitlines(keepends=True)
    offsets = []
    for hunk in parse_hunks(diff_text):
        start = hunk.old_start - 1
        lines[start:start + len(hunk.old_lines())] = hunk.new_lines()
        offsets.append(0)
    return "".join(lines), offsets
