"""Aider's Polyglot benchmark from a local checkout: ``<language>/exercises/practice/<slug>/``, six languages.

Each exercise has ``.docs/`` (the problem) and ``.meta/config.json`` whose ``files`` lists the ``solution``
files (what the agent edits), the ``test`` files (hidden) and the ``example`` files (the reference). The agent
sees the exercise without ``.meta``, ``.docs`` and the tests, as in Aider's own benchmark. How each language's
tests run is in ``polyglot_tracks``.

Not every exercise is a task. Skipped, each with its reason in ``Suite.skipped`` (and logged): exercises that
need what the sandbox cannot have (a crate, Maven artefact, npm package, CMake package or Go module from a
registry it cannot reach, or a newer library than Debian's: ``UNAVAILABLE``); exercises with no test case (Go's
``counter`` asks the student to write the tests: anything passes); refactoring exercises whose stub already
passes (``REFACTORING``); and stubs identical to their reference.
"""

from __future__ import annotations

import filecmp
import logging
from collections import Counter
from pathlib import Path

from gitdgm.errors import ConfigError
from gitdgm.suites.files import CopiedFiles, DirFiles, MemoryFiles
from gitdgm.suites.polyglot_tracks import TRACKS, read_json
from gitdgm.suites.protect import Protection
from gitdgm.suites.suite import Suite, balanced_order
from gitdgm.suites.task import Task

log = logging.getLogger(__name__)
Skip = tuple[str, str]  # (task id, why it is not a task)

#: Refactoring exercises whose stub is working code by design (the task is to restructure it), so it passes the
#: tests before any change. A list, not a test run at load time: loading must stay instant and need no
#: toolchain. Read off the published checkout: its exercises whose instructions say "Refactor" and whose stub
#: resolves (``benchmarks/perf/polyglot_check.py`` grades every stub, these included, so a wrong entry or a
#: passing stub missing here shows up there). Go's and Python's ``tree-building`` stubs are buggy: real tasks.
REFACTORING = frozenset({("go", "ledger"), ("go", "markdown"), ("java", "ledger"), ("java", "tree-building"),
                         ("javascript", "ledger")})  # fmt: skip

#: Exercises of the published checkout whose tests need something newer than the sandbox's Debian packages and
#: that no file of the exercise declares (found by ``polyglot_check.py``: the tests do not compile).
UNAVAILABLE = {
    ("java", "mazy-mice"): "needs AssertJ 3.2x: its tests call hasDimensions, which Debian's AssertJ 3.14 lacks",
}

PROMPT_TAIL = """
####

Use the above instructions to modify the supplied files: {files}
Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.
Only use standard libraries, don't suggest installing any packages.
"""


def load(path: Path) -> Suite:
    """``path`` is a checkout (every language in it) or one language's folder of it."""
    if not path.is_dir():
        raise ConfigError(f"polyglot checkout {path} is not a directory")
    if (path / "exercises" / "practice").is_dir():
        tasks, skipped = load_language(path)
        return _suite(f"polyglot-{path.name}", tasks, skipped)
    languages = sorted(p for p in path.iterdir() if (p / "exercises" / "practice").is_dir())
    if not languages:
        raise ConfigError(f"{path}: no <language>/exercises/practice/ folders; is it a polyglot-benchmark checkout?")
    tasks, skipped = [], []
    for lang_dir in languages:
        more_tasks, more_skipped = load_language(lang_dir)
        tasks += more_tasks
        skipped += more_skipped
    return _suite("polyglot", tasks, skipped)


def load_language(lang_dir: Path) -> tuple[list[Task], list[Skip]]:
    """The tasks of one language folder, and the exercises skipped with why; a language gitdgm does not run is
    skipped whole."""
    language = lang_dir.name
    practice = lang_dir / "exercises" / "practice"
    exercises = sorted(d for d in practice.iterdir() if d.is_dir() and not d.name.startswith(".")) \
        if practice.is_dir() else []  # fmt: skip
    if language not in TRACKS:
        why = f"unsupported language: gitdgm runs {', '.join(TRACKS)}, not {language}"
        return [], [(task_id(language, e), why) for e in exercises]
    difficulties = _track_difficulties(lang_dir / "config.json")
    tasks: list[Task] = []
    skipped: list[Skip] = []
    for exercise in exercises:
        if reason := why_skipped(exercise, language):
            skipped.append((task_id(language, exercise), reason))
        else:
            tasks.append(exercise_task(exercise, language, difficulties.get(exercise.name, "medium")))
    return tasks, skipped


def task_id(language: str, exercise: Path) -> str:
    return f"polyglot-{language}-{exercise.name}"


def why_skipped(exercise: Path, language: str) -> str | None:
    """Why ``exercise`` is no task (see the module's docstring), or None."""
    if needs := UNAVAILABLE.get((language, exercise.name)) or TRACKS[language].needs(exercise):
        return needs
    files = _files(exercise)
    if not any(TRACKS[language].test_case.search(_read(exercise / t)) for t in files["test"]):
        return "no tests: its test files hold no test case, so any change would pass"
    if (language, exercise.name) in REFACTORING:
        return "refactoring: the stub already passes its tests"
    reference = _reference(exercise, files)
    if reference and all((exercise / dest).is_file() and filecmp.cmp(exercise / src, exercise / dest, shallow=False)
                         for dest, src in reference.items()):  # fmt: skip
        return "stub is the reference: its files equal the example's"
    return None


def exercise_task(exercise: Path, language: str, difficulty: str) -> Task:
    """The task for ``exercise``, whether or not ``why_skipped`` would skip it (the benchmark script grades both)."""
    track = TRACKS[language]
    files = _files(exercise)
    tests, solution = files["test"], files["solution"]
    command = track.command(exercise, tests)
    rule = Protection.for_task(tests, solution, command)
    editable = [f for f in solution if rule.why(f, new=False) is None]  # Rust's Cargo.toml stays the task's
    return Task(
        id=task_id(language, exercise),
        language=language,
        difficulty=difficulty,
        problem=_problem(exercise) + PROMPT_TAIL.format(files=" ".join(editable)),
        test_command=command,
        time_limit=300,
        test_time_limit=track.time_limit,
        source=str(exercise),
        repo=DirFiles(exercise, exclude=(".meta", ".docs", *tests)),
        tests=MemoryFiles({t: track.enable(_read(exercise / t)) for t in tests}),
        solution=CopiedFiles(exercise, _reference(exercise, files)) if files["example"] else None,
    )


def _files(exercise: Path) -> dict[str, list[str]]:
    meta = exercise / ".meta" / "config.json"
    files = read_json(meta).get("files")
    if not isinstance(files, dict):
        raise ConfigError(f"{meta}: no 'files' object; it must list the 'solution', 'test' and 'example' files")
    lists = {k: files.get(k, []) for k in ("solution", "test", "example")}
    for key, names in lists.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ConfigError(f"{meta}: 'files.{key}' must be a list of relative paths")
        if missing := [n for n in names if not (exercise / n).is_file()]:
            raise ConfigError(f"{meta}: 'files.{key}' names {missing[0]}, which does not exist in {exercise}")
    if not lists["solution"] or not lists["test"]:
        raise ConfigError(f"{meta}: 'files' must list the 'solution' and 'test' files")
    return lists


def _reference(exercise: Path, files: dict[str, list[str]]) -> dict[str, str]:
    """{repository path: example file}. Java's reference folder mirrors ``src/main`` (and may add classes);
    elsewhere each example replaces the one solution file with its suffix (Rust's example.rs is src/lib.rs and
    Cargo.toml stays; a C++ example may be only the header)."""
    mapping: dict[str, str] = {}
    for example in files["example"]:
        if example.startswith(".meta/src/reference/"):
            mapping["src/main/" + example.removeprefix(".meta/src/reference/")] = example
            continue
        suffix = Path(example).suffix
        matches = [s for s in files["solution"] if Path(s).suffix == suffix]
        if len(matches) != 1:
            raise ConfigError(
                f"{exercise / '.meta' / 'config.json'}: example {example} matches "
                f"{len(matches)} solution files by its suffix {suffix!r}; it must match one"
            )
        mapping[matches[0]] = example
    return mapping


def _problem(exercise: Path) -> str:
    """introduction.md, instructions.md and instructions.append.md, in that order (as Aider's harness)."""
    docs = exercise / ".docs"
    if not (docs / "instructions.md").is_file():
        raise ConfigError(f"{exercise}: no .docs/instructions.md; every exercise needs its instructions")
    parts = ("introduction.md", "instructions.md", "instructions.append.md")
    return "\n".join(_read(docs / p) for p in parts if (docs / p).is_file())


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _track_difficulties(config: Path) -> dict[str, str]:
    """Exercism's track config rates exercises 1-10; map that onto easy / medium / hard."""
    if not config.is_file():
        return {}
    practice = read_json(config).get("exercises", {}).get("practice", [])
    levels = {}
    for entry in practice:
        if isinstance(entry, dict) and isinstance(entry.get("difficulty"), int) and "slug" in entry:
            rating = entry["difficulty"]
            levels[entry["slug"]] = "easy" if rating <= 3 else "medium" if rating <= 6 else "hard"
    return levels


def _suite(name: str, tasks: list[Task], skipped: list[Skip]) -> Suite:
    for task, why in skipped:
        log.info("polyglot: %s is not a task: %s", task, why)
    if skipped:
        kinds = Counter(why.split(":")[0] for _, why in skipped)
        log.warning(
            "polyglot: %d of %d exercises are not tasks (%s); Suite.skipped lists each with its reason",
            len(skipped),
            len(tasks) + len(skipped),
            ", ".join(f"{n} {k}" for k, n in kinds.items()),
        )
    return Suite(name, tuple(balanced_order(tasks)), tuple(skipped))
