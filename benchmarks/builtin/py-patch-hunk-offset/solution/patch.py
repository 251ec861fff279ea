"""Apply unified-diff hunks to a file's text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# A missing count means 1, as in "@@ -7 +7,2 @@".
HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


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
            old_start, old_len, new_start, new_len = (1 if g is None else int(g) for g in m.groups())
            hunks.append(Hunk(old_start, old_len, new_start, new_len))
        elif line[:1] in (" ", "-", "+") and hunks:
            hunks[-1].lines.append(line)
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file"
        else:
            raise PatchError(f"unexpected line in diff: {line.rstrip()}")
    for number, hunk in enumerate(hunks, 1):
        if len(hunk.old_lines()) != hunk.old_len or len(hunk.new_lines()) != hunk.new_len:
            raise PatchError(f"hunk #{number} is malformed: its line counts do not match its header")
    return hunks


def _locate(lines: list[str], old: list[str], expected: int) -> int | None:
    """The position nearest to expected where lines hold old (the earlier one on a tie), or None."""
    last = len(lines) - len(old)
    if last < 0:
        return None
    for distance in range(max(expected, last - expected) + 1):
        for pos in (expected - distance, expected + distance):
            if 0 <= pos <= last and lines[pos:pos + len(old)] == old:
                return pos
    return None


def apply_patch(text: str, diff_text: str) -> tuple[str, list[int]]:
    """Apply a unified diff to text; return the new text and, per hunk, how far it was moved.

    Each hunk is expected at its `-start` line shifted by the lines earlier hunks added or removed; when its
    context and removed lines are not there, the nearest position where they are is used instead.
    Works on a copy: on PatchError nothing has been applied.
    """
    lines = text.splitlines(keepends=True)
    offsets = []
    delta = 0
    for number, hunk in enumerate(parse_hunks(diff_text), 1):
        old, new = hunk.old_lines(), hunk.new_lines()
        # An empty old range names the line *after which* the new lines go.
        expected = (hunk.old_start if not old else hunk.old_start - 1) + delta
        pos = _locate(lines, old, expected)
        if pos is None:
            raise PatchError(f"hunk #{number} does not apply")
        lines[pos:pos + len(old)] = new
        offsets.append(pos - expected)
        delta += len(new) - len(old)
    return "".join(lines), offsets
