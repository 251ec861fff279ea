"""Loading Aider's Polyglot benchmark: a fixture laid out as the published checkout (tests/fixtures/polyglot: each
exercise's .meta/config.json, Rust's Cargo.toml among the solution files, JavaScript's package.json and babel
config, C++'s CMakeLists.txt, Java's build.gradle), what is skipped and why, and bad input."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from gitdgm.errors import ConfigError
from gitdgm.suites import load_suite
from gitdgm.suites.polyglot import exercise_task, load_language
from gitdgm.suites.task import LANGUAGES

FIXTURE = Path(__file__).parent / "fixtures" / "polyglot"
TASKS = ["polyglot-cpp-leap", "polyglot-go-hamming", "polyglot-java-leap", "polyglot-javascript-leap",
         "polyglot-python-two-fer", "polyglot-rust-grep", "polyglot-rust-reverse-string"]  # fmt: skip
SKIPPED = {
    "polyglot-go-counter": "no tests: its test files hold no test case, so any change would pass",
    "polyglot-go-ledger": "refactoring: the stub already passes its tests",
    "polyglot-java-rest-api": "needs Maven artefacts: org.json:json",
    "polyglot-rust-word-count": "needs crates from crates.io: regex 1",
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the fixture to spoil."""
    shutil.copytree(FIXTURE, tmp_path / "polyglot", ignore=shutil.ignore_patterns("conftest.py"))
    return tmp_path / "polyglot"


def test_the_whole_checkout_loads_with_every_skip_and_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gitdgm.suites.polyglot"):
        suite = load_suite(f"polyglot:{FIXTURE}")
    assert suite.name == "polyglot"
    assert sorted(t.id for t in suite.tasks) == TASKS
    assert dict(suite.skipped) == SKIPPED
    assert {t.language for t in suite.tasks} == set(LANGUAGES)
    summary = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert summary == ["polyglot: 4 of 11 exercises are not tasks (1 no tests, 1 refactoring, 1 needs Maven "
                       "artefacts, 1 needs crates from crates.io); Suite.skipped lists each with its reason"]
    assert any("polyglot-go-counter is not a task: no tests" in r.getMessage() for r in caplog.records)


def test_difficulty_comes_from_the_track_config_where_present() -> None:
    suite = load_suite(f"polyglot:{FIXTURE}")
    assert suite.get("polyglot-python-two-fer").difficulty == "easy"  # python/config.json rates it 1
    assert {t.difficulty for t in suite.tasks if t.language != "python"} == {"medium"}  # no track config


def test_one_language_folder_loads_alone() -> None:
    suite = load_suite(f"polyglot:{FIXTURE / 'rust'}")
    assert suite.name == "polyglot-rust"
    assert sorted(t.id for t in suite.tasks) == ["polyglot-rust-grep", "polyglot-rust-reverse-string"]
    assert suite.skipped == (("polyglot-rust-word-count", SKIPPED["polyglot-rust-word-count"]),)


def test_rust_keeps_its_cargo_toml_and_runs_every_test_offline() -> None:
    suite = load_suite(f"polyglot:{FIXTURE / 'rust'}")
    task = suite.get("polyglot-rust-reverse-string")
    assert task.solution is not None and dict(task.solution.mapping) == {"src/lib.rs": ".meta/example.rs"}
    assert task.repo.paths() == ["Cargo.toml", "src/lib.rs"]
    assert "modify the supplied files: src/lib.rs\n" in task.problem  # Cargo.toml is the task's, not the agent's
    assert "Bonus: reverse by grapheme clusters." in task.problem  # instructions.append.md
    assert task.test_command == "cargo test --offline --quiet -- --include-ignored"
    crates = suite.get("polyglot-rust-grep").test_command
    assert "source.crates-io.replace-with=" in crates and "/usr/share/cargo/registry" in crates


def test_javascript_runs_jest_from_outside_the_repository_with_every_test_on() -> None:
    task = load_suite(f"polyglot:{FIXTURE / 'javascript'}").get("polyglot-javascript-leap")
    assert task.repo.paths() == [".npmrc", "babel.config.js", "leap.js", "package.json"]
    assert "NODE_PATH=/opt/gitdgm/node/node_modules node /opt/gitdgm/node/node_modules/jest/bin/jest.js" in \
        task.test_command and task.test_command.endswith("--runTestsByPath leap.spec.js")  # fmt: skip
    spec = _hidden(task, "leap.spec.js")
    assert "xtest(" not in spec and spec.count("  test(") == 3


def test_java_maps_the_reference_folder_and_enables_disabled_tests() -> None:
    task = load_suite(f"polyglot:{FIXTURE / 'java'}").get("polyglot-java-leap")
    assert task.solution is not None and dict(task.solution.mapping) == {
        "src/main/java/Leap.java": ".meta/src/reference/java/Leap.java",
        "src/main/java/Century.java": ".meta/src/reference/java/Century.java",  # an extra class of the reference
    }
    test = _hidden(task, "src/test/java/LeapTest.java")
    assert "@Disabled(" not in test and test.count("@Test") == 3
    assert "javac" in task.test_command and "gradle" not in task.test_command


def test_cpp_builds_all_tests_with_the_system_catch2_in_a_folder_named_for_the_exercise() -> None:
    task = load_suite(f"polyglot:{FIXTURE / 'cpp'}").get("polyglot-cpp-leap")
    assert "-DEXERCISM_RUN_ALL_TESTS=ON -DEXERCISM_TEST_SUITE=ON" in task.test_command
    assert 'cp -R . "$t"/leap' in task.test_command  # CMakeLists.txt names the target after its folder
    assert task.solution is not None and sorted(task.solution.mapping) == ["leap.cpp", "leap.h"]


def test_a_header_only_reference_leaves_the_cpp_stub(checkout: Path) -> None:
    exercise = checkout / "cpp" / "exercises" / "practice" / "leap"
    _edit_config(exercise, example=[".meta/example.h"])
    task = exercise_task(exercise, "cpp", "medium")
    assert task.solution is not None and dict(task.solution.mapping) == {"leap.h": ".meta/example.h"}


def test_excluded_exercises_still_make_tasks_for_the_benchmark_script() -> None:
    ledger = exercise_task(FIXTURE / "go" / "exercises" / "practice" / "ledger", "go", "medium")
    assert ledger.problem.startswith("# Introduction\n\nThe ledger code works")  # introduction.md comes first
    assert "Refactor a ledger printer." in ledger.problem


def test_an_unsupported_language_is_skipped_whole_and_the_rest_loads(checkout: Path) -> None:
    shutil.copytree(checkout / "go", checkout / "kotlin")
    suite = load_suite(f"polyglot:{checkout}")
    kotlin = {i: why for i, why in suite.skipped if i.startswith("polyglot-kotlin-")}
    assert sorted(kotlin) == ["polyglot-kotlin-counter", "polyglot-kotlin-hamming", "polyglot-kotlin-ledger"]
    assert set(kotlin.values()) == {"unsupported language: gitdgm runs python, go, rust, javascript, cpp, java, "
                                    "not kotlin"}  # fmt: skip
    assert sorted(t.id for t in suite.tasks) == TASKS


def test_a_stub_identical_to_its_reference_is_skipped(checkout: Path) -> None:
    exercise = checkout / "python" / "exercises" / "practice" / "two-fer"
    shutil.copy(exercise / ".meta" / "example.py", exercise / "two_fer.py")
    tasks, skipped = load_language(checkout / "python")
    assert tasks == [] and skipped == [("polyglot-python-two-fer", "stub is the reference: its files equal the "
                                                                   "example's")]  # fmt: skip
    with pytest.raises(ConfigError, match=r"suite polyglot-python has no tasks \(1 skipped, e\.g\. polyglot-python"):
        load_suite(f"polyglot:{checkout / 'python'}")


def test_crate_versions_must_match_what_debian_packages(checkout: Path) -> None:
    cargo = checkout / "rust" / "exercises" / "practice" / "grep" / "Cargo.toml"
    cargo.write_text(cargo.read_text().replace('anyhow = "1.0"', 'anyhow = "2"\ntime = { version = "0.3" }'))
    _, skipped = load_language(checkout / "rust")
    assert ("polyglot-rust-grep", "needs crates from crates.io: anyhow 2") in skipped


def test_cpp_needing_a_cmake_package_the_sandbox_lacks_is_skipped(checkout: Path) -> None:
    lists = checkout / "cpp" / "exercises" / "practice" / "leap" / "CMakeLists.txt"
    text = lists.read_text()
    lists.write_text(text + "find_package(Boost 1.58 REQUIRED COMPONENTS date_time)\nfind_package(TBB)\n")
    assert load_language(checkout / "cpp")[1] == []  # Debian's Boost date_time is in the sandbox; TBB is optional
    lists.write_text(text + "find_package(Qt5 REQUIRED COMPONENTS Widgets)\n")
    assert load_language(checkout / "cpp")[1] == [("polyglot-cpp-leap", "needs CMake packages: Qt5 Widgets")]


def test_javascript_with_another_runner_or_package_is_skipped(checkout: Path) -> None:
    package = checkout / "javascript" / "exercises" / "practice" / "leap" / "package.json"
    data = json.loads(package.read_text())
    data["devDependencies"]["lodash"] = "^4"
    package.write_text(json.dumps(data))
    assert load_language(checkout / "javascript")[1] == [("polyglot-javascript-leap", "needs npm packages: lodash")]
    data["scripts"]["test"] = "mocha"
    package.write_text(json.dumps(data))
    assert "package.json runs mocha, not jest" in load_language(checkout / "javascript")[1][0][1]


@pytest.mark.parametrize(("spoil", "message"), [
    (lambda ex: (ex / ".meta" / "config.json").write_text("{"), r"go/exercises/practice/hamming/\.meta/config\.json"
                                                               r": not valid JSON"),
    (lambda ex: _edit_config(ex, test=["missing_test.go"]), r"config\.json: 'files\.test' names missing_test\.go, "
                                                            r"which does not exist"),
    (lambda ex: _edit_config(ex, solution=[]), r"'files' must list the 'solution' and 'test' files"),
    (lambda ex: _foreign_example(ex), r"example \.meta/example\.py matches 0 solution files by its suffix '\.py'"),
    (lambda ex: (ex / ".docs" / "instructions.md").unlink(), r"no \.docs/instructions\.md"),
])  # fmt: skip
def test_bad_exercises_name_the_file_and_what_to_do(checkout: Path, spoil, message: str) -> None:
    exercise = checkout / "go" / "exercises" / "practice" / "hamming"
    spoil(exercise)
    with pytest.raises(ConfigError, match=message):
        load_suite(f"polyglot:{checkout}")


def test_not_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no <language>/exercises/practice/ folders"):
        load_suite(f"polyglot:{tmp_path}")
    with pytest.raises(ConfigError, match="is not a directory"):
        load_suite(f"polyglot:{tmp_path / 'nowhere'}")


def _hidden(task, path: str) -> str:
    return task.tests.files[path]


def _foreign_example(exercise: Path) -> None:
    (exercise / ".meta" / "example.py").write_text("")
    _edit_config(exercise, example=[".meta/example.py"])


def _edit_config(exercise: Path, **files: list[str]) -> None:
    config = exercise / ".meta" / "config.json"
    data = json.loads(config.read_text())
    data["files"].update(files)
    config.write_text(json.dumps(data))
