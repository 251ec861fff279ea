"""How each Polyglot language's tests run offline in the sandbox, and what an exercise needs that it lacks.

Each track's test command uses only what ``gitdgm.sandbox.toolchains`` installs, from fixed paths outside the
repository, so an agent's change cannot swap the runner (and ``protect`` keeps runner files from the task):
pytest; ``go test``; ``cargo test --offline`` (Debian's crates by source replacement); jest from
``NODE_MODULES`` on ``NODE_PATH`` with the exercise's own babel config; CMake with Debian's prebuilt Catch2
main (``EXERCISM_TEST_SUITE``, the route Exercism's own runner takes), in a folder named after the exercise
because its CMakeLists.txt takes the target's name from there; javac and JUnit's console launcher instead of
Gradle, with the libraries ahead of the agent's classes. Build output goes to fresh temporary folders, never to
one the agent could have seeded. Tests the tracks disable for students (``xtest``, ``@Disabled``, ``#[ignore]``,
``EXERCISM_RUN_ALL_TESTS``) are all turned on, as Aider's harness does.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitdgm.errors import ConfigError
from gitdgm.sandbox import toolchains as tc


@dataclass(frozen=True)
class Track:
    """One language: its test command, what it needs, the test cases it counts and the tests it turns on."""

    time_limit: int  # seconds for the hidden tests; compilers are slow
    test_case: re.Pattern[str]  # one test case in a test file
    command: Callable[[Path, list[str]], str]  # (exercise, test files) -> shell command at the repository root
    needs: Callable[[Path], str | None] = lambda exercise: None  # what it needs that the sandbox lacks
    enable: Callable[[str], str] = lambda text: text  # a test file with every test switched on


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; a one-line ConfigError naming the file otherwise."""
    return _read_mapping(path, json.loads, json.JSONDecodeError, "JSON", "")


def _read_mapping(path: Path, loads: Callable[[str], object], error: type[Exception], kind: str, missing: str) -> dict:
    """Parse ``path`` with ``loads``; a missing file, bad syntax or a non-table is a ConfigError naming the file."""
    try:
        data = loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing{missing}") from None
    except (error, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid {kind}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a {kind} object")
    return data


def _require(*paths: str) -> str:
    """A guard that exits 127 (graded ``error``: the sandbox's fault, not the agent's) when a file is missing."""
    return (
        f'for f in {shlex.join(paths)}; do [ -e "$f" ] || '
        '{ echo "gitdgm: this sandbox lacks $f" >&2; exit 127; }; done; '
    )


# --- Python, Go -------------------------------------------------------------------------------------------------


def _python(exercise: Path, tests: list[str]) -> str:
    """pytest with only its own plugins: what else the machine has installed neither slows nor sways grading."""
    return "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python3 -m pytest -q -p no:cacheprovider " + shlex.join(tests)


def _go_needs(exercise: Path) -> str | None:
    mod = exercise / "go.mod"
    text = mod.read_text(encoding="utf-8") if mod.is_file() else ""
    blocks = re.findall(r"^require\s*\((.*?)^\)", text, flags=re.M | re.S)
    lines = re.findall(r"^require\s+([^\s(]+)", text, flags=re.M)
    modules = lines + [line.split()[0] for block in blocks for line in block.splitlines() if line.strip()]
    return f"needs Go modules: {', '.join(modules)}" if modules else None


# --- Rust -------------------------------------------------------------------------------------------------------


def _crates(exercise: Path) -> dict[str, object]:
    manifest = _read_mapping(
        exercise / "Cargo.toml",
        tomllib.loads,
        tomllib.TOMLDecodeError,
        "TOML",
        "; a Rust exercise needs its Cargo.toml",
    )
    tables = [manifest.get(k, {}) for k in ("dependencies", "dev-dependencies", "build-dependencies")]
    return {name: spec for table in tables if isinstance(table, dict) for name, spec in table.items()}


def _caret_allows(requirement: str, version: str) -> bool:
    """Cargo's default (caret) requirement: same leftmost non-zero component, and not older."""
    try:
        want = [int(p) for p in requirement.lstrip("^").split(".")]
        have = [int(p) for p in version.split(".")]
    except ValueError:
        return False
    fixed = next((i for i, p in enumerate(want) if p), len(want) - 1)
    return have[: fixed + 1] == want[: fixed + 1] and have[: len(want)] >= want


def _rust_needs(exercise: Path) -> str | None:
    missing = []
    for name, spec in _crates(exercise).items():
        version = spec if isinstance(spec, str) else spec.get("version") if isinstance(spec, dict) else None
        packaged = tc.RUST_CRATES.get(name)
        if not isinstance(version, str) or packaged is None or not _caret_allows(version, packaged):
            missing.append(f"{name} {version or spec}")
    return f"needs crates from crates.io: {', '.join(missing)}" if missing else None


def _rust(exercise: Path, tests: list[str]) -> str:
    argv = ["cargo", "test", "--offline", "--quiet"]
    guard = ""
    if _crates(exercise):  # Debian's packaged crates stand in for crates.io
        argv += ["--config", 'source.crates-io.replace-with="debian"',
                 "--config", f'source.debian.directory="{tc.CRATE_REGISTRY}"']  # fmt: skip
        guard = _require(tc.CRATE_REGISTRY)
    return guard + shlex.join([*argv, "--", "--include-ignored"])


# --- JavaScript -------------------------------------------------------------------------------------------------

_JEST = f"{tc.NODE_MODULES}/jest/bin/jest.js"


def _javascript_needs(exercise: Path) -> str | None:
    package = exercise / "package.json"
    if not package.is_file():
        return None
    data = read_json(package)
    runner = str((data.get("scripts") or {}).get("test", "jest")).split()
    if not runner or runner[0] != "jest":
        return f"needs another test runner: package.json runs {' '.join(runner[:1]) or 'nothing'}, not jest"
    wanted = {**(data.get("dependencies") or {}), **(data.get("devDependencies") or {})}
    missing = sorted(n for n in wanted if n not in tc.NPM_PACKAGES and not n.startswith(tc.NPM_NOT_NEEDED))
    return f"needs npm packages: {', '.join(missing)}" if missing else None


def _javascript(exercise: Path, tests: list[str]) -> str:
    return (
        _require(_JEST)
        + f"NODE_PATH={tc.NODE_MODULES} "
        + shlex.join(["node", _JEST, "--ci", "--no-watchman", "--runTestsByPath", *tests])
    )


def _javascript_enable(text: str) -> str:
    return re.sub(r"\bx(test|it|describe)(\s*\()", r"\1\2", text)


# --- C++ --------------------------------------------------------------------------------------------------------

_FIND_PACKAGE = re.compile(r"find_package\s*\(\s*(\w+)([^)]*)\)", re.I)


def _cmake_packages(exercise: Path) -> dict[str, frozenset[str]]:
    """The packages (with components) the exercise's CMakeLists.txt requires; optional ones are left out."""
    lists = exercise / "CMakeLists.txt"
    text = lists.read_text(encoding="utf-8") if lists.is_file() else ""
    required = {}
    for name, args in _FIND_PACKAGE.findall(text):
        words = args.split()
        if "REQUIRED" in words:
            after = words[words.index("COMPONENTS") + 1 :] if "COMPONENTS" in words else []
            required[name] = frozenset(w for w in after if not w.isupper())
    return required


def _cpp_needs(exercise: Path) -> str | None:
    missing = [
        " ".join([name, *sorted(components)])
        for name, components in _cmake_packages(exercise).items()
        if name not in tc.CMAKE_PACKAGES or not components <= tc.CMAKE_PACKAGES[name][0]
    ]
    return f"needs CMake packages: {', '.join(missing)}" if missing else None


def _cpp(exercise: Path, tests: list[str]) -> str:
    packages = {"Catch2", *_cmake_packages(exercise)} & set(tc.CMAKE_PACKAGES)
    source = f'"$t"/{shlex.quote(exercise.name)}'
    return _require(*sorted(tc.CMAKE_PACKAGES[p][1] for p in packages)) + (
        f't=$(mktemp -d) && cp -R . {source} && cmake -S {source} -B "$t/build" --log-level=WARNING '
        f'-DEXERCISM_RUN_ALL_TESTS=ON -DEXERCISM_TEST_SUITE=ON && cmake --build "$t/build"'
    )


# --- Java -------------------------------------------------------------------------------------------------------

_GRADLE_DEPENDENCY = re.compile(
    r"""^\s*\w*(?:[Ii]mplementation|[Cc]ompile\w*|[Rr]untime\w*|[Aa]nnotationProcessor)\s*\(?\s*(?:platform\s*\()?\s*
        ["']([^"':]+):([^"':]+)(?::[^"']*)?["']""", re.M | re.X)  # fmt: skip
_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")  # one GC thread, quick start: small containers


def _java_needs(exercise: Path) -> str | None:
    build = exercise / "build.gradle"
    text = build.read_text(encoding="utf-8") if build.is_file() else ""
    artefacts = {f"{group}:{name}" for group, name in _GRADLE_DEPENDENCY.findall(text)}
    missing = sorted(artefacts - tc.JAVA_ARTEFACTS)
    return f"needs Maven artefacts: {', '.join(missing)}" if missing else None


def _java(exercise: Path, tests: list[str]) -> str:
    javac = ["javac", "-encoding", "UTF-8", "-nowarn", *(f"-J{f}" for f in _JVM_FLAGS)]
    launcher = [
        "java",
        *_JVM_FLAGS,
        "-jar",
        tc.JUNIT_LAUNCHER,
        "--disable-banner",
        "--disable-ansi-colors",
        "--fail-if-no-tests",
    ]
    return _require(tc.JUNIT_LAUNCHER, *tc.JAVA_CLASSPATH) + (
        f"cp={':'.join(tc.JAVA_CLASSPATH)}; o=$(mktemp -d) && "
        f'{shlex.join(javac)} -cp "$cp" -d "$o" $(find src -name "*.java") && '
        f'{shlex.join(launcher)} -cp "$cp:$o" --scan-class-path "$o"'
    )


def _java_enable(text: str) -> str:
    return re.sub(r"^[ \t]*@Disabled\b(\([^)]*\))?[ \t]*\r?\n", "", text, flags=re.M)


TRACKS: dict[str, Track] = {
    "python": Track(60, re.compile(r"^\s*(async\s+)?def test\w*\s*\(", re.M), _python),
    "go": Track(120, re.compile(r"^func (Test|Example|Fuzz)\w*\(", re.M), lambda e, t: "go test ./...", _go_needs),
    "rust": Track(180, re.compile(r"#\[test\]"), _rust, _rust_needs),
    "javascript": Track(
        60, re.compile(r"\b(x?test|x?it)\s*(\.\w+\s*)?\("), _javascript, _javascript_needs, _javascript_enable
    ),
    "cpp": Track(180, re.compile(r"\b(TEST_CASE|SCENARIO|TEMPLATE_TEST_CASE\w*)\s*\("), _cpp, _cpp_needs),
    "java": Track(
        120,
        re.compile(r"@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate)\b"),
        _java,
        _java_needs,
        _java_enable,
    ),
}
