"""Which parts of an agent's patch may reach the clean room: the rule that keeps grading honest.

The hidden tests decide the grade, so everything that decides how they run comes from the task, never from the
agent: the test files, the test runner's configuration, what sits on the runner's import path, and whatever the
test command names. A change to such a path is dropped from the patch and recorded as tampering. The rule is
written per ecosystem (pytest and Python's import system, node's test runners and module resolution, go,
cargo, JVM and C/C++ builds), not as a list of known tricks, so a new trick against one of those runners meets
the same wall. Code the agent writes still runs inside the test process; what it does there is the tests' job.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass

#: Folders whose contents are tests, fixtures or configuration of a test runner, wherever they are.
TEST_DIRS = frozenset({"test", "tests", "__tests__", "testdata", "spec", "__snapshots__"})

#: Folders of installed dependencies or build state a runner resolves imports from (or reads settings from).
DEPENDENCY_DIRS = frozenset({
    "node_modules", "vendor", ".cargo", "target", ".mvn", "gradle", ".gradle", ".venv", "venv", "site-packages",
    ".pytest_cache", ".tox", ".nox", ".yarn", "bower_components", "jspm_packages", "__pypackages__",
})  # fmt: skip

#: Folder-name patterns of installed-package records: on the import path, their entry points are plugins that
#: a runner loads by itself (pytest's ``pytest11``), so a new one would run code before any test.
PACKAGE_RECORD_DIRS = ("*.dist-info", "*.egg-info", "*.egg")

#: File-name patterns of tests, by ecosystem.
TEST_FILES = (
    "test_*.py", "*_test.py", "tests.py", "conftest.py",  # pytest, unittest
    "*.test.[cm]js", "*.test.js", "*.spec.js", "*.test.ts", "*.spec.ts", "*.test.jsx", "*.test.tsx",  # node
    "*_test.go",  # go
    "*Test.java", "*Tests.java", "*Test.kt",  # JVM
    "*_test.cpp", "*_test.cc", "*_test.c", "test_*.cpp", "*_test.rs",  # C/C++, rust unit tests kept apart
)  # fmt: skip

#: Configuration files a test runner, an interpreter or a build reads before the tests run.
CONFIG_FILES = (
    # Python: pytest, tox, setuptools metadata pytest reads, interpreter start-up hooks
    "pytest.ini", ".pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "noxfile.py", "sitecustomize.py",
    "usercustomize.py", "*.pth", ".pythonrc*", "pytest_*.py",
    # node: package manifest (scripts, jest/mocha settings, "imports"), runner and transpiler configs
    "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", ".npmrc", ".yarnrc*", ".pnp.*",
    "jest.config.*", "jest.setup.*", "vitest.config.*", "vite.config.*", ".mocharc*", "mocha.opts", "karma.conf.*",
    "babel.config.*", ".babelrc*", "tsconfig*.json", ".swcrc", "ava.config.*", ".nycrc*", ".node-version",
    # go
    "go.mod", "go.sum", "go.work", "go.work.sum",
    # rust
    "Cargo.toml", "Cargo.lock", "build.rs", "rust-toolchain", "rust-toolchain.toml", "clippy.toml",
    # JVM
    "pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "gradle.properties",
    "gradlew", "gradlew.bat", "build.xml", "build.sbt",
    # C/C++ and generic builds
    "CMakeLists.txt", "*.cmake", "Makefile", "makefile", "GNUmakefile", "meson.build", "configure", "*.mk",
    # environment files some runners load
    ".env", ".envrc", ".tool-versions",
)  # fmt: skip

#: Packages of the Python test runners in the sandbox image: a module of the same name shadows them.
RUNNER_MODULES = frozenset({"pytest", "_pytest", "py", "pluggy", "iniconfig", "packaging", "exceptiongroup",
                            "tomli", "hypothesis", "nose", "unittest2", "coverage"})  # fmt: skip
_SHADOWABLE = frozenset(sys.stdlib_module_names) | RUNNER_MODULES
_PYTHON_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")
_TEST_FILE = re.compile("|".join(fnmatch.translate(p) for p in TEST_FILES))
_CONFIG_FILE = re.compile("|".join(fnmatch.translate(p) for p in CONFIG_FILES))
_PACKAGE_RECORD = re.compile("|".join(fnmatch.translate(p) for p in PACKAGE_RECORD_DIRS))


@dataclass(frozen=True)
class Protection:
    """The task-side facts the rule needs: where its hidden tests go and how they are run."""

    hidden: frozenset[str]  # paths the hidden tests write
    test_command: str
    hidden_dirs: frozenset[str] = frozenset()  # folders only the hidden tests create: theirs alone

    @classmethod
    def for_task(cls, hidden: Iterable[str], original: Iterable[str], test_command: str) -> Protection:
        """``original``: the files of the task's repository, as the agent first saw it."""
        hidden = frozenset(p.strip("/") for p in hidden)
        existing = {"/".join(p.split("/")[:i]) for p in original for i in range(1, p.count("/") + 1)}
        created = {"/".join(p.split("/")[:i]) for p in hidden for i in range(1, p.count("/") + 1)} - existing
        return cls(hidden, test_command, frozenset(created))

    def why(self, path: str, *, new: bool) -> str | None:
        """Why a change at ``path`` (``new``: absent from the task's repository) may not reach the clean room."""
        parts = path.split("/")
        name = parts[-1]
        if path in self.hidden or any(h.startswith(path + "/") for h in self.hidden):
            return "a hidden test path"
        if any(path.startswith(d + "/") for d in self.hidden_dirs):
            return "inside a folder of the hidden tests"
        if path in self._command_paths():
            return "named by the test command"
        if any(p in TEST_DIRS for p in parts[:-1]):
            return "inside a test folder"
        if any(p in DEPENDENCY_DIRS for p in parts[:-1]) or name in DEPENDENCY_DIRS:
            return "a dependency or runner-state folder"
        if any(_PACKAGE_RECORD.fullmatch(p) for p in parts):
            return "an installed-package record (its entry points are plugins a runner loads)"
        if _TEST_FILE.fullmatch(name):
            return "a test file"
        if _CONFIG_FILE.fullmatch(name):
            return "test-runner or build configuration"
        if new and (module := self._shadowed(path)):
            return f"shadows the module {module!r} on the test runner's import path"
        return None

    def _command_paths(self) -> frozenset[str]:
        """Words of the test command that are relative paths: scripts and folders it runs or reads."""
        try:
            words = shlex.split(self.test_command)
        except ValueError:
            words = self.test_command.split()
        out = set()
        for word in words:
            word = word.split("=", 1)[-1].removeprefix("./").rstrip("/")
            if word and not word.startswith(("-", "/", "$")) and ".." not in word.split("/"):
                out.add(word)
        return frozenset(out)

    def _shadowed(self, path: str) -> str | None:
        """The module a new Python file defines at a folder on the runner's import path (the root, ``src/``, a
        folder of hidden tests), when that module is the standard library's or the runner's own."""
        if not path.endswith(_PYTHON_SUFFIXES):
            return None
        for folder in {"", "src"} | {h.rpartition("/")[0] for h in self.hidden}:
            prefix = folder + "/" if folder else ""
            if path.startswith(prefix):
                first = path[len(prefix) :].split("/")[0]
                module = first.split(".", 1)[0]
                if module in _SHADOWABLE:
                    return module
        return None
