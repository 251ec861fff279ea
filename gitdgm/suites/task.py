"""The task: what an agent sees (repo), what grades it (hidden tests), and how; plus the task.toml loader."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitdgm.errors import ConfigError
from gitdgm.suites.files import DirFiles, Files

if TYPE_CHECKING:
    from gitdgm.suites.grade import Grade

LANGUAGES = ("python", "javascript", "go", "rust", "cpp", "java")
DIFFICULTIES = ("easy", "medium", "hard")
TASK_SCHEMA = 1
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class Task:
    """One benchmark task. ``repo`` is all an agent may see; ``tests`` and ``solution`` stay hidden from it."""

    id: str
    language: str
    difficulty: str
    problem: str
    test_command: str  # run with ``sh -c`` at the repository root, after the hidden tests are overlaid
    time_limit: float  # seconds the agent has
    test_time_limit: float  # seconds the hidden tests have
    source: str  # where the task came from: a task directory, "humaneval", a dataset file...
    repo: Files = field(repr=False, compare=False)
    tests: Files = field(repr=False, compare=False)
    solution: Files | None = field(default=None, repr=False, compare=False)
    # Grades instead of running test_command (SWE-bench's own harness); takes (task, repo_dir, sandbox).
    grader: Callable[..., Grade] | None = field(default=None, repr=False, compare=False)

    def write_repo(self, dest: Path) -> None:
        """Write the files the agent works on into ``dest`` (created if missing)."""
        dest.mkdir(parents=True, exist_ok=True)
        self.repo.write(dest)

    def write_tests(self, dest: Path) -> None:
        """Overlay the hidden tests onto the repository root ``dest``."""
        self.tests.write(dest)

    def write_solution(self, dest: Path) -> None:
        """Overlay the reference solution onto ``dest``; only the suite's own tests use this."""
        if self.solution is None:
            raise ConfigError(f"task {self.id} ({self.source}) has no reference solution")
        self.solution.write(dest)


def load_task_dir(task_dir: Path) -> Task:
    """Read and validate ``task_dir/task.toml``; every error names the file and field and says what to do."""
    toml_path = task_dir / "task.toml"
    if not toml_path.is_file():
        raise ConfigError(f"{task_dir}: no task.toml; a task directory holds task.toml, repo/ and tests/")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{toml_path}: not valid TOML: {e}") from None
    fields = _Fields(toml_path, data)
    fields.reject_unknown()
    schema = fields.get("schema", int)
    if schema != TASK_SCHEMA:
        raise ConfigError(f"{toml_path}: schema {schema} is not supported (this gitdgm reads schema {TASK_SCHEMA})")
    task_id = fields.get("id", str)
    if not _ID.match(task_id):
        raise ConfigError(f"{toml_path}: field 'id' = {task_id!r}: use letters, digits, '.', '_', '-' and '/'")
    problem = _problem(task_dir, fields)
    for sub in ("repo", "tests"):
        if not (task_dir / sub).is_dir():
            raise ConfigError(f"{task_dir}: no {sub}/ directory; create it (a task needs repo/ and tests/)")
    solution_dir = task_dir / "solution"
    return Task(
        id=task_id,
        language=fields.choice("language", LANGUAGES),
        difficulty=fields.choice("difficulty", DIFFICULTIES),
        problem=problem,
        test_command=fields.get("test_command", str),
        time_limit=fields.seconds("time_limit", 300),
        test_time_limit=fields.seconds("test_time_limit", 60),
        source=str(task_dir),
        repo=DirFiles(task_dir / "repo"),
        tests=DirFiles(task_dir / "tests"),
        solution=DirFiles(solution_dir) if solution_dir.is_dir() else None,
    )


def _problem(task_dir: Path, fields: _Fields) -> str:
    has_text, has_file = "problem" in fields.data, "problem_file" in fields.data
    if has_text == has_file:
        raise ConfigError(f"{fields.path}: set exactly one of 'problem' (text) or 'problem_file' (a path)")
    if has_text:
        return fields.get("problem", str)
    path = task_dir / fields.get("problem_file", str)
    if not path.is_file():
        raise ConfigError(f"{fields.path}: field 'problem_file' names {path}, which does not exist")
    return path.read_text(encoding="utf-8")


class _Fields:
    """Typed access to a task.toml table that remembers which keys were read, to reject unknown ones."""

    _KNOWN = frozenset(("schema", "id", "language", "difficulty", "problem", "problem_file", "test_command",
                        "time_limit", "test_time_limit"))  # fmt: skip

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path, self.data = path, data

    def get(self, key: str, kind: type) -> Any:
        if key not in self.data:
            raise ConfigError(f"{self.path}: missing required field '{key}'; add it")
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{self.path}: field '{key}' must be a {kind.__name__}, not {type(value).__name__}")
        if kind is str and isinstance(value, str) and not value.strip():
            raise ConfigError(f"{self.path}: field '{key}' is empty; give it a value")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.get(key, str)
        if value not in allowed:
            raise ConfigError(f"{self.path}: field '{key}' = {value!r} is not one of: {', '.join(allowed)}")
        return value

    def seconds(self, key: str, default: float) -> float:
        value = self.data.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{self.path}: field '{key}' must be a positive number of seconds, not {value!r}")
        return float(value)

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.data) - self._KNOWN)
        if unknown:
            raise ConfigError(f"{self.path}: unknown field '{unknown[0]}' (known: {', '.join(sorted(self._KNOWN))})")
