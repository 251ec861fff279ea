"""The `editor` tool: view files and directories, create files, replace a unique string, insert lines, undo.

Edits keep the file's line endings (CRLF files stay CRLF) and bytes that are not UTF-8; every edit records the
previous content so that `undo_edit` can restore it (or delete a file the editor created).
"""

from __future__ import annotations

import os
from pathlib import Path

from dgm_agent.tools import ToolError

SCHEMA = {
    "type": "function",
    "function": {
        "name": "editor",
        "description": (
            "View, create and edit files. Paths are relative to the repository root (the starting directory) "
            "or absolute.\n"
            "- view: a file with line numbers (optionally view_range [start, end], end -1 = end of file), "
            "or a directory (2 levels, hidden files left out)\n"
            "- create: write file_text to path (creates parent directories; overwrites)\n"
            "- str_replace: replace old_str, which must occur exactly once (whitespace included), with new_str\n"
            "- insert: insert new_str after line insert_line (0 = at the top)\n"
            "- undo_edit: revert the last edit made to path"
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert", "undo_edit"]},
                "path": {"type": "string"},
                "view_range": {"type": "array", "items": {"type": "integer"}},
                "file_text": {"type": "string"},
                "old_str": {"type": "string"},
                "new_str": {"type": "string"},
                "insert_line": {"type": "integer"},
            },
            "required": ["command", "path"],
        },
    },
}

_CONTEXT = 4  # lines shown around an edit


class Editor:
    def __init__(self, root: Path, max_output: int = 16_000) -> None:
        self.root = Path(root)
        self.max_output = max_output
        self._history: dict[Path, list[bytes | None]] = {}

    def __call__(self, command: str, path: str, view_range: list[int] | None = None, file_text: str | None = None,
                 old_str: str | None = None, new_str: str | None = None, insert_line: int | None = None) -> str:
        target = self._resolve(path)
        if command == "view":
            return self._view_dir(target) if target.is_dir() else self._view_file(target, view_range)
        if command == "create":
            return self._create(target, _need(file_text, "file_text", "create"))
        if command == "str_replace":
            return self._replace(target, _need(old_str, "old_str", "str_replace"), new_str or "")
        if command == "insert":
            line = _need(insert_line, "insert_line", "insert")
            return self._insert(target, line, _need(new_str, "new_str", "insert"))
        if command == "undo_edit":
            return self._undo(target)
        raise ToolError(f"unknown editor command {command!r}; use view, create, str_replace, insert or undo_edit")

    def _resolve(self, path: str) -> Path:
        if not path.strip():
            raise ToolError("path is empty")
        return Path(os.path.normpath(self.root / path))

    def _read(self, target: Path) -> tuple[str, bool]:
        """The text (newlines normalised to \\n) and whether the file used CRLF."""
        if not target.exists():
            raise ToolError(f"{target} does not exist; check the path (editor view on a directory lists it)")
        if target.is_dir():
            raise ToolError(f"{target} is a directory, not a file")
        raw = target.read_bytes()
        if b"\0" in raw[:8192]:
            raise ToolError(f"{target} is a binary file ({len(raw)} bytes); inspect it with bash instead")
        text = raw.decode("utf-8", errors="surrogateescape")
        return text.replace("\r\n", "\n"), "\r\n" in text

    def _write(self, target: Path, text: str, crlf: bool) -> None:
        self._history.setdefault(target, []).append(target.read_bytes() if target.exists() else None)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8", errors="surrogateescape"))

    def _view_file(self, target: Path, view_range: list[int] | None) -> str:
        lines = self._read(target)[0].split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        first, last = 1, len(lines)
        if view_range is not None:
            if len(view_range) != 2 or not all(isinstance(n, int) for n in view_range):
                raise ToolError("view_range must be two integers [start, end] (end -1 = end of file)")
            first, last = view_range
            last = len(lines) if last == -1 else last
            if not 1 <= first <= max(1, len(lines)) or last < first:
                raise ToolError(f"view_range {view_range} is outside {target}, which has {len(lines)} lines; "
                                f"use 1 <= start <= end (end -1 = end of file)")
            last = min(last, len(lines))
        shown, size = [], 0
        for number in range(first, last + 1):
            size += len(lines[number - 1]) + 8
            if size > self.max_output and shown:
                shown.append(f"[... lines {number}-{last} not shown; view them with view_range ...]")
                break
            shown.append(f"{number:6}\t{lines[number - 1]}")
        return _printable("\n".join(shown) if shown else f"({target} is empty)")

    def _view_dir(self, target: Path) -> str:
        entries = []
        try:
            for child in _visible(target):
                entries.append(child.name + ("/" if child.is_dir() else ""))
                if child.is_dir():
                    entries += [f"{child.name}/{g.name}{'/' if g.is_dir() else ''}" for g in _visible(child)]
        except OSError as error:
            raise ToolError(f"cannot list {target}: {error.strerror}") from None
        listing = "\n".join(entries)
        if len(listing) > self.max_output:
            kept = listing[:self.max_output].rsplit("\n", 1)[0]
            listing = f"{kept}\n[... {listing.count(chr(10), len(kept))} more entries not shown ...]"
        return f"{target} (2 levels, hidden files left out):\n{listing or '(empty)'}"

    def _create(self, target: Path, file_text: str) -> str:
        if target.is_dir():
            raise ToolError(f"{target} is a directory; give a file path")
        existed = target.exists()
        crlf = existed and b"\r\n" in target.read_bytes()[:8192]
        self._write(target, file_text, crlf)
        lines = file_text.count("\n") + (0 if file_text.endswith("\n") or not file_text else 1)
        verb = "Overwrote" if existed else "Created"
        return f"{verb} {target} ({lines} lines)."

    def _replace(self, target: Path, old: str, new: str) -> str:
        text, crlf = self._read(target)
        old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
        if not old:
            raise ToolError("old_str is empty; to add text use insert, to write a whole file use create")
        starts = _occurrences(text, old)
        if not starts:
            raise ToolError(f"no match for old_str in {target}; it must match exactly, including whitespace and "
                            "indentation (view the file and copy the lines)")
        if len(starts) > 1:
            lines = ", ".join(str(text.count("\n", 0, s) + 1) for s in starts)
            raise ToolError(f"old_str is not unique: {len(starts)} matches at lines {lines} of {target}; "
                            "include more surrounding lines to make it unique")
        self._write(target, text.replace(old, new, 1), crlf)
        first = text.count("\n", 0, starts[0]) + 1
        return self._snippet(target, first, first + new.count("\n"))

    def _insert(self, target: Path, insert_line: int, new: str) -> str:
        text, crlf = self._read(target)
        pieces = text.split("\n")
        lines = [line + "\n" for line in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
        if not 0 <= insert_line <= len(lines):
            raise ToolError(f"insert_line {insert_line} is outside {target}, which has {len(lines)} lines; "
                            f"use 0 (top) to {len(lines)} (end)")
        block = new.replace("\r\n", "\n")
        block += "" if block.endswith("\n") else "\n"
        if insert_line == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.insert(insert_line, block)
        self._write(target, "".join(lines), crlf)
        return self._snippet(target, insert_line + 1, insert_line + block.count("\n"))

    def _undo(self, target: Path) -> str:
        history = self._history.get(target)
        if not history:
            raise ToolError(f"no edit of {target} to undo (undo_edit reverts edits made with this editor)")
        previous = history.pop()
        if previous is None:
            target.unlink()
            return f"Undid the creation of {target}: the file is removed."
        target.write_bytes(previous)
        return f"Reverted the last edit of {target}."

    def _snippet(self, target: Path, first: int, last: int) -> str:
        lines = self._read(target)[0].split("\n")
        start, end = max(1, first - _CONTEXT), min(len(lines), last + _CONTEXT)
        body = "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1))
        return _printable(f"Edited {target}. Lines {start}-{end} now read:\n{body}\n"
                          "Check that the edit is right; undo_edit reverts it.")


def _need(value, name: str, command: str):
    if value is None:
        raise ToolError(f"editor {command} needs the argument {name!r}")
    return value


def _occurrences(text: str, sub: str) -> list[int]:
    starts, at = [], text.find(sub)
    while at >= 0:
        starts.append(at)
        at = text.find(sub, at + len(sub))
    return starts


def _printable(text: str) -> str:
    """Text safe to send as JSON: bytes that were not UTF-8 become U+FFFD."""
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _visible(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if not p.name.startswith("."))
