"""Aider's Polyglot benchmark from a local checkout: ``<lang>/exercises/practice/<slug>/``.

Each exercise has ``.docs/instructions*.md`` (the problem) and ``.meta/config.json`` whose ``files`` lists the
``solution`` files (stubs the agent edits), the ``test`` files (hidden) and the ``example`` files (the
reference, overlaid onto the solution files in order). The agent sees the exercise without ``.meta``,
``.docs`` and the tests, as in Aider's own benchmark.
"""

from __future__ import annotations

import json
import logging
import shlex
from pathlib import Path

from gitdgm.errors import ConfigError
from gitdgm.suites.files import CopiedFiles, DirFiles
from gitdgm.suites.suite import Suite, balanced_order
from gitdgm.suites.task import Task

log = logging.getLogger(__name__)
TIME_LIMITS = {"python": 60, "javascript": 60, "go": 120, "rust": 180}  # seconds for the tests; compilers are slow
PROMPT_TAIL = """
####

Use the above instructions to modify the supplied files: {files}
Don't change the names of existing functions or classes, as they may be referenced from other code like unit tests, etc.
Only use standard libraries, don't suggest installing any packages.
"""


def load(path: Path) -> Suite:
    """``path`` is a checkout (every supported language in it) or one language's folder of it."""
    if not path.is_dir():
        raise ConfigError(f"polyglot checkout {path} is not a directory")
    if (path / "exercises" / "practice").is_dir():
        return Suite(f"polyglot-{path.name}", tuple(balanced_order(load_language(path))))
    languages = sorted(p for p in path.iterdir() if (p / "exercises" / "practice").is_dir())
    if not languages:
        raise ConfigError(f"{path}: no <language>/exercises/practice/ folders; is it a polyglot-benchmark checkout?")
    unsupported = [p.name for p in languages if p.name not in TIME_LIMITS]
    if unsupported:
        log.warning("polyglot: skipping unsupported languages %s (supported: %s)", ", ".join(unsupported),
                    ", ".join(TIME_LIMITS))  # fmt: skip
    tasks = [t for lang in languages if lang.name in TIME_LIMITS for t in load_language(lang)]
    return Suite("polyglot", tuple(balanced_order(tasks)))


def load_language(lang_dir: Path) -> list[Task]:
    language = lang_dir.name
    if language not in TIME_LIMITS:
        raise ConfigError(
            f"{lang_dir}: polyglot language {language!r} is unsupported (supported: {', '.join(TIME_LIMITS)}); "
            "choose another language folder"
        )
    difficulties = _track_difficulties(lang_dir / "config.json")
    practice = lang_dir / "exercises" / "practice"
    return [
        exercise_task(d, language, difficulties.get(d.name, "medium"))
        for d in sorted(practice.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    ]


def exercise_task(exercise: Path, language: str, difficulty: str) -> Task:
    meta_file = exercise / ".meta" / "config.json"
    files = _read_json(meta_file).get("files", {})
    solution, tests, example = (files.get(k, []) for k in ("solution", "test", "example"))
    if not solution or not tests:
        raise ConfigError(f"{meta_file}: 'files' must list the 'solution' and 'test' files")
    if example and len(example) != len(solution):
        raise ConfigError(f"{meta_file}: 'example' and 'solution' list different numbers of files")
    docs = sorted((exercise / ".docs").glob("instructions*.md"))  # instructions.md before instructions.append.md
    if not docs:
        raise ConfigError(f"{exercise}: no .docs/instructions.md")
    problem = "\n".join(p.read_text(encoding="utf-8") for p in docs) + PROMPT_TAIL.format(files=" ".join(solution))
    return Task(
        id=f"polyglot-{language}-{exercise.name}",
        language=language,
        difficulty=difficulty,
        problem=problem,
        test_command=command_for(language, exercise, tests),
        time_limit=300,
        test_time_limit=TIME_LIMITS[language],
        source=str(exercise),
        repo=DirFiles(exercise, exclude=(".meta", ".docs", *tests)),
        tests=CopiedFiles(exercise, {t: t for t in tests}),
        solution=CopiedFiles(exercise, dict(zip(solution, example))) if example else None,
    )


def command_for(language: str, exercise: Path, tests: list[str]) -> str:
    """The command that runs an exercise's tests offline, at the exercise root."""
    if language == "python":
        return "python3 -m pytest -q -p no:cacheprovider " + shlex.join(tests)
    if language == "javascript":
        package = exercise / "package.json"
        scripts = _read_json(package).get("scripts", {}) if package.is_file() else {}
        # The exercise's own runner (jest) needs its node_modules installed; plain node:test tests need nothing.
        return "npm test --silent" if "test" in scripts else "node --test " + shlex.join(tests)
    if language == "go":
        return "go test ./..."
    return "cargo test --offline --quiet"


def _track_difficulties(config: Path) -> dict[str, str]:
    """Exercism's track config rates exercises 1-10; map that onto easy / medium / hard."""
    if not config.is_file():
        return {}
    practice = _read_json(config).get("exercises", {}).get("practice", [])
    levels = {}
    for entry in practice:
        if isinstance(entry, dict) and isinstance(entry.get("difficulty"), int) and "slug" in entry:
            rating = entry["difficulty"]
            levels[entry["slug"]] = "easy" if rating <= 3 else "medium" if rating <= 6 else "hard"
    return levels


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return data
