"""Benchmark suites: the task format, suite loading and ordering, grading, and adapters.

``load_suite("builtin" | "humaneval" | "polyglot:PATH" | "swebench:PATH" | DIR)`` gives a ``Suite`` whose
ordered ``tasks`` the evaluator runs in stages; ``grade(task, repo_dir, sandbox)`` scores an agent's edits.
"""

from gitdgm.suites.grade import Grade, grade
from gitdgm.suites.suite import Suite, builtin_dir, load_dir_suite, load_suite
from gitdgm.suites.task import DIFFICULTIES, LANGUAGES, Task, load_task_dir

__all__ = [
    "DIFFICULTIES",
    "LANGUAGES",
    "Grade",
    "Suite",
    "Task",
    "builtin_dir",
    "grade",
    "load_dir_suite",
    "load_suite",
    "load_task_dir",
]
