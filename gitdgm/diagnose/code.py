"""The agent's code as the diagnosing model sees it: chosen by relevance, with what was left out named.

The DGM shows every file of a fixed list; an evolving agent's tree can outgrow any prompt, so here the files go in
by rank until the budget is spent: the agent's manifest and entry, then files its failing run names, then the
rest of its source, its tests last. Nothing is cut in the middle: a file that does not fit is left out whole and
listed by name and size. ``summarise_agent`` is the short map of the agent's architecture that both the diagnosis
and the child's problem statement open with (the DGM's ``coding_agent_summary``), derived from the tree itself so
that it never goes stale as agents rewrite themselves.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SUMMARY = Path(__file__).resolve().parent.parent / "templates" / "diagnosis" / "agent_summary.md"
MAP_LINES = 40


@dataclass
class CodeView:
    text: str
    shown: list[str]
    left_out: list[tuple[str, int]]  # (path, chars)


def agent_code(files: dict[str, bytes]) -> dict[str, str]:
    """The agent's text files by path (binary files are not code to read)."""
    return {p: d.decode("utf-8", "replace") for p, d in sorted(files.items()) if b"\0" not in d[:1024]}


def is_test(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (any(p in ("tests", "test") for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def _manifest(code: dict[str, str]) -> dict[str, object]:
    try:
        return tomllib.loads(code.get("agent.toml", ""))
    except tomllib.TOMLDecodeError:
        return {}


def _command(value: object) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value or "")


def entry_files(code: dict[str, str]) -> list[str]:
    """agent.toml and the files its entry command runs (``-m package`` or a path it names)."""
    entry = _command(_manifest(code).get("entry"))
    found = ["agent.toml"] if "agent.toml" in code else []
    module = re.search(r"-m\s+([\w.]+)", entry)
    if module:
        base = module.group(1).replace(".", "/")
        found += [p for p in (f"{base}/__main__.py", f"{base}.py", f"{base}/__init__.py") if p in code]
    found += [p for p in code if p not in found and "/" + p in "/" + entry.replace("$GITDGM_AGENT_DIR/", "/")]
    return found


def named_in(code: dict[str, str], text: str) -> list[str]:
    """The agent's files that ``text`` names by path or as a dotted module (e.g. in a traceback)."""
    out = []
    for path in code:
        dotted = path.removesuffix(".py").replace("/", ".") if path.endswith(".py") else ""
        if path in text or (dotted and "." in dotted and dotted in text):
            out.append(path)
    return out


def select_code(code: dict[str, str], log_text: str, limit: int) -> CodeView:
    """The files by rank, each whole, until ``limit`` characters; the rest listed as left out."""
    first, named = entry_files(code), set(named_in(code, log_text))

    def rank(path: str) -> tuple[int, str]:
        if path in first:
            return 0, f"{first.index(path):04d}"
        if is_test(path):
            return 3, path
        return (1 if path in named else 2), path

    parts: list[str] = []
    shown: list[str] = []
    left_out: list[tuple[str, int]] = []
    used = 0
    for path in sorted(code, key=rank):
        block = f"----- {path} ({len(code[path]):,} chars) -----\n{code[path].rstrip()}\n"
        if used + len(block) > limit:
            left_out.append((path, len(code[path])))
            continue
        parts.append(block)
        shown.append(path)
        used += len(block)
    if left_out:
        names = ", ".join(f"{p} ({n:,} chars)" for p, n in left_out)
        parts.append(f"[Left out to fit the prompt: {len(left_out)} files, "
                     f"{sum(n for _, n in left_out):,} chars: {names}]\n")
    return CodeView("\n".join(parts), shown, left_out)


def describe(path: str, text: str) -> str:
    """A file's first docstring or heading line, for the map of the agent."""
    line = ""
    if path.endswith(".py"):
        try:
            line = (ast.get_docstring(ast.parse(text)) or "").strip().split("\n")[0]
        except (SyntaxError, ValueError):
            line = ""
    elif path.endswith(".md"):  # a heading or a first line of prose, not template markup
        line = next((x.strip("# ").strip() for x in text.splitlines() if x.strip()), "")
        line = line if line[:1].isalpha() else ""
    return line if len(line) <= 110 else line[:107].rstrip() + "..."


def summarise_agent(code: dict[str, str]) -> str:
    """The architecture summary: the protocol every agent runs under and a one-line map of its files."""
    manifest = _manifest(code)
    tests = [p for p in code if is_test(p)]
    lines = [f"  - `{p}`" + (f": {d}" if (d := describe(p, code[p])) else "") for p in code if not is_test(p)]
    if len(lines) > MAP_LINES:
        lines = lines[:MAP_LINES] + [f"  - ... and {len(lines) - MAP_LINES} more files"]
    if tests:
        lines.append(f"  - {len(tests)} test files, e.g. `{tests[0]}`: the agent's own tests")
    return SUMMARY.read_text(encoding="utf-8").format(
        entry=_command(manifest.get("entry")) or "(agent.toml names none)",
        test_command=_command(manifest.get("test_command")) or "(none)", files="\n".join(lines))
