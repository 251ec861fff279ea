"""The agent's code as the diagnosing model sees it: chosen by relevance, with what was left out named.

The DGM shows every file of a fixed list; an evolving agent's tree can outgrow any prompt, so here the files go in
by rank until the code's share of the prompt (in tokens, see ``budget``) is spent: the agent's manifest and entry,
then files its failing run names, then the rest of its source, its tests last. Nothing is cut in the middle: a
file that does not fit is left out whole and the prompt names it with its size. ``summarise_agent`` is the short
map of the agent's architecture that both the diagnosis and the child's problem statement open with (the DGM's
``coding_agent_summary``), derived from the tree itself so that it never goes stale as agents rewrite themselves;
its brief form (paths only) is for context windows too small for the full one.
"""

from __future__ import annotations

import ast
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath

from gitdgm.bundled import TEMPLATES
from gitdgm.gateway.tokens import estimate_tokens

# CPython 3.11 keeps ast.parse's recursion count per interpreter, not per thread: two workers diagnosing at once
# can fail with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905)
_AST_LOCK = threading.Lock()

SUMMARY = TEMPLATES / "diagnosis" / "agent_summary.md"
BRIEF_SUMMARY = SUMMARY.with_name("agent_summary_brief.md")
MAP_LINES = 40
BRIEF_MAP_FILES = 30


@dataclass
class CodeView:
    text: str
    shown: list[str]
    left_out: list[tuple[str, int]]  # (path, chars), most relevant first
    tokens: int  # the estimate of ``text``, at most the limit


def agent_code(files: dict[str, bytes]) -> dict[str, str]:
    """The agent's text files by path (binary files are not code to read)."""
    return {p: d.decode("utf-8", "replace") for p, d in sorted(files.items()) if b"\0" not in d[:1024]}


def is_test(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def _manifest(code: dict[str, str]) -> dict[str, object]:
    try:
        return tomllib.loads(code.get("agent.toml", ""))
    except (tomllib.TOMLDecodeError, RecursionError):  # the agent's own file: it may be built to fail
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


def rank_code(code: dict[str, str], log_text: str) -> list[str]:
    """The agent's files, most relevant first: the manifest and entry, files ``log_text`` names, the rest of its
    source, its tests."""
    first, named = entry_files(code), set(named_in(code, log_text))

    def rank(path: str) -> tuple[int, str]:
        if path in first:
            return 0, f"{first.index(path):04d}"
        if is_test(path):
            return 3, path
        return (1 if path in named else 2), path

    return sorted(code, key=rank)


def code_block(path: str, text: str) -> str:
    """One file as the prompt shows it, with the line that separates it from the next."""
    return f"----- {path} ({len(text):,} chars) -----\n{text.rstrip()}\n\n"


def code_tokens(code: dict[str, str]) -> int:
    """The estimate of all the agent's files as the prompt would show them."""
    return sum(estimate_tokens(code_block(path, text)) for path, text in code.items())


def select_code(code: dict[str, str], log_text: str, tokens: int) -> CodeView:
    """The files by rank, each whole, within ``tokens`` (estimated); the rest, by rank, as left out. A file too
    big for what is left does not stop a smaller, later one."""
    parts: list[str] = []
    shown: list[str] = []
    left_out: list[tuple[str, int]] = []
    used = 0
    for path in rank_code(code, log_text):
        block = code_block(path, code[path])
        size = estimate_tokens(block)
        if used + size > tokens:
            left_out.append((path, len(code[path])))
            continue
        parts.append(block)
        shown.append(path)
        used += size
    return CodeView("".join(parts), shown, left_out, used)


def describe(path: str, text: str) -> str:
    """A file's first docstring or heading line, for the map of the agent."""
    line = ""
    if path.endswith(".py"):
        try:
            with _AST_LOCK:
                line = (ast.get_docstring(ast.parse(text)) or "").strip().split("\n")[0]
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # an agent's file may be built to fail
            line = ""
    elif path.endswith(".md"):  # a heading or a first line of prose, not template markup
        line = next((x.strip("# ").strip() for x in text.splitlines() if x.strip()), "")
        line = line if line[:1].isalpha() else ""
    return line if len(line) <= 110 else line[:107].rstrip() + "..."


def summarise_agent(code: dict[str, str], brief: bool = False) -> str:
    """The architecture summary: the protocol every agent runs under and a one-line map of its files; ``brief``:
    the protocol's essentials and the paths alone, for a small context window."""
    manifest = _manifest(code)
    tests = [p for p in code if is_test(p)]
    entry = _command(manifest.get("entry")) or "(agent.toml names none)"
    test_command = _command(manifest.get("test_command")) or "(none)"
    if brief:
        paths = [f"`{p}`" for p in code if not is_test(p)]
        more = len(paths) - BRIEF_MAP_FILES
        files = ", ".join(paths[:BRIEF_MAP_FILES]) + (f" and {more} more" if more > 0 else "")
        files += f"; {len(tests)} test files" if tests else ""
        return BRIEF_SUMMARY.read_text(encoding="utf-8").format(entry=entry, test_command=test_command, files=files)
    lines = [f"  - `{p}`" + (f": {d}" if (d := describe(p, code[p])) else "") for p in code if not is_test(p)]
    if len(lines) > MAP_LINES:
        lines = [*lines[:MAP_LINES], f"  - ... and {len(lines) - MAP_LINES} more files"]
    if tests:
        lines.append(f"  - {len(tests)} test files, e.g. `{tests[0]}`: the agent's own tests")
    return SUMMARY.read_text(encoding="utf-8").format(entry=entry, test_command=test_command, files="\n".join(lines))
