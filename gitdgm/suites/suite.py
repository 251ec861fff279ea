"""Suites: named, ordered task lists, loaded from a spec (``builtin``, ``humaneval``, ``polyglot:PATH``...).

The order matters: evaluation stage *k* takes the next ``n_k`` tasks, so the order interleaves difficulties
and languages in proportion, and the first few tasks are a fair sample of the whole suite.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gitdgm.bundled import bundled_dir
from gitdgm.errors import ConfigError
from gitdgm.suites.task import DIFFICULTIES, Task, load_task_dir

T = TypeVar("T")
BUILTIN_ENV = "GITDGM_BUILTIN_SUITE"
SPEC_FORMS = "builtin, humaneval, polyglot:PATH, swebench:PATH, or a directory of task directories"


@dataclass(frozen=True)
class Suite:
    """A named, ordered, duplicate-free tuple of tasks; ``skipped``: (id, why) for what a source holds that is
    no task here (a Polyglot exercise needing a registry the sandbox cannot reach, one with no tests...)."""

    name: str
    tasks: tuple[Task, ...]
    skipped: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        seen: dict[str, Task] = {}
        for task in self.tasks:
            if task.id in seen:
                raise ConfigError(
                    f"suite {self.name}: task id {task.id!r} is used twice ({seen[task.id].source} and "
                    f"{task.source}); give one of them another id"
                )
            seen[task.id] = task
        if not self.tasks:
            first = self.skipped[0] if self.skipped else None
            why = f" ({len(self.skipped)} skipped, e.g. {first[0]}: {first[1]})" if first else ""
            raise ConfigError(f"suite {self.name} has no tasks{why}")

    def get(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise ConfigError(f"suite {self.name} has no task {task_id!r}")


def load_suite(spec: str, *, root: Path | None = None) -> Suite:
    """Load the suite ``spec`` names; relative paths are resolved against ``root`` (default: the cwd)."""
    kind, _, arg = spec.partition(":")
    base = root or Path.cwd()
    if spec == "builtin":
        return load_dir_suite(builtin_dir(), name="builtin")
    if spec == "humaneval":
        from gitdgm.suites import humaneval

        return humaneval.load()
    if kind in ("polyglot", "swebench") and arg:
        return importlib.import_module(f"gitdgm.suites.{kind}").load(base / arg)
    path = base / spec
    if path.is_dir():
        return load_dir_suite(path)
    raise ConfigError(f"unknown suite {spec!r}: use {SPEC_FORMS}")


def builtin_dir() -> Path:
    """Where the builtin suite lives: ``$GITDGM_BUILTIN_SUITE``, else what came with gitdgm."""
    if env := os.environ.get(BUILTIN_ENV):
        path = Path(env)
        if not path.is_dir():
            raise ConfigError(f"{BUILTIN_ENV}={env} is not a directory; point it at benchmarks/builtin")
        return path
    return bundled_dir("builtin", BUILTIN_ENV)


def load_dir_suite(path: Path, *, name: str | None = None) -> Suite:
    """Every subdirectory holding a task.toml is a task; ``suite.toml`` may fix the name and the order."""
    if not path.is_dir():
        raise ConfigError(f"suite directory {path} does not exist")
    meta = _suite_toml(path)
    subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    for sub in subdirs:
        if not (sub / "task.toml").is_file():
            raise ConfigError(f"{sub}: no task.toml; every directory of a suite is a task (prefix it with _ to skip)")
    tasks = [load_task_dir(sub) for sub in subdirs]
    order = meta.get("order", [])
    if not isinstance(order, list) or not all(isinstance(i, str) for i in order):
        raise ConfigError(f"{path / 'suite.toml'}: field 'order' must be a list of task ids")
    suite_name = meta.get("name", name or path.name)
    if not isinstance(suite_name, str):
        raise ConfigError(f"{path / 'suite.toml'}: field 'name' must be a string")
    return Suite(suite_name, tuple(fixed_then_balanced(tasks, order, where=path / "suite.toml")))


def fixed_then_balanced(tasks: Sequence[Task], order: Sequence[str], *, where: Path | str) -> list[Task]:
    """Tasks named in ``order`` first, in that order, then the rest in ``balanced_order``."""
    by_id = {t.id: t for t in tasks}
    unknown = [i for i in order if i not in by_id]
    if unknown:
        raise ConfigError(f"{where}: 'order' names {unknown[0]!r}, which is no task of this suite")
    listed = set(order)
    return [by_id[i] for i in dict.fromkeys(order)] + balanced_order([t for t in tasks if t.id not in listed])


def balanced_order(tasks: Iterable[Task]) -> list[Task]:
    """Interleave difficulties, and languages within each, so that every prefix is a proportional sample."""
    tasks = list(tasks)
    per_difficulty = []
    for difficulty in DIFFICULTIES:
        level = sorted((t for t in tasks if t.difficulty == difficulty), key=lambda t: t.id)
        languages = sorted({t.language for t in level})
        per_difficulty.append(interleave([[t for t in level if t.language == lang] for lang in languages]))
    return interleave(per_difficulty)


def interleave(groups: Sequence[Sequence[T]]) -> list[T]:
    """Merge groups so that each prefix takes from every group in proportion to its size (stable)."""
    taken = [0] * len(groups)
    merged: list[T] = []
    for _ in range(sum(map(len, groups))):
        open_groups = [i for i, group in enumerate(groups) if taken[i] < len(group)]
        pick = min(open_groups, key=lambda i: ((taken[i] + 0.5) / len(groups[i]), i))
        merged.append(groups[pick][taken[pick]])
        taken[pick] += 1
    return merged


def _suite_toml(path: Path) -> dict:
    file = path / "suite.toml"
    if not file.is_file():
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{file}: not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"schema", "name", "order"})
    if unknown:
        raise ConfigError(f"{file}: unknown field '{unknown[0]}' (known: schema, name, order)")
    return data
