"""Polyglot grading, one exercise per language of the published-like fixture: the reference solution resolves and
the stub does not, through the real clean-room grader and a real sandbox. On the process sandbox a language whose
toolchain this machine lacks is skipped with the reason; with GITDGM_REQUIRE_DOCKER=1 (CI) every language is
graded in docker, whose image must have them all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitdgm.sandbox.container import DockerSandbox, connect, leftover_containers
from gitdgm.sandbox.process import ProcessSandbox
from gitdgm.sandbox.toolchains import CRATE_REGISTRY, JUNIT_LAUNCHER, NODE_MODULES
from gitdgm.suites import Task, load_suite
from gitdgm.suites.polyglot import exercise_task
from grading_helpers import grade_workspace, task_workspace

FIXTURE = Path(__file__).parent / "fixtures" / "polyglot"
IN_DOCKER = os.environ.get("GITDGM_REQUIRE_DOCKER") == "1"
pytestmark = [pytest.mark.docker] if IN_DOCKER else []  # counted in the docker summary line CI checks
#: What each language's test command needs, checked in the sandbox itself (its PATH and HOME, not ours).
PROBES = {
    "python": "python3 -m pytest --version",
    "go": "go version",
    "rust": f"cargo --version && rustc --version && test -d {CRATE_REGISTRY}",
    "javascript": f"node --version && test -f {NODE_MODULES}/jest/bin/jest.js",
    "cpp": "cmake --version && g++ --version && test -f /usr/lib/cmake/Catch2/Catch2Config.cmake",
    "java": f"javac -version && test -f {JUNIT_LAUNCHER} && test -f /usr/share/java/assertj-core.jar",
}
#: What the runner prints when every test ran, the ones the track disables for students included.
EVERY_TEST = {"javascript/leap": "Tests:       3 passed, 3 total", "java/leap": "3 tests successful",
              "rust/reverse-string": "2 passed", "rust/grep": "2 passed", "cpp/leap": "in 3 test cases"}
EXERCISES = ["python/two-fer", "go/hamming", "rust/reverse-string", "rust/grep", "javascript/leap", "cpp/leap",
             "java/leap"]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox(request: pytest.FixtureRequest) -> Iterator[object]:
    """docker in CI (compilers need more memory and processes than the shared test fixture allows); else the
    process sandbox."""
    if not IN_DOCKER:
        yield ProcessSandbox(quiet=True)
        return
    request.getfixturevalue("docker_available")
    yield DockerSandbox(cpus=1.0, memory="1g", pids_limit=128)
    assert leftover_containers(connect()) == []


def require_toolchain(language: str, sandbox: object, tmp_path: Path) -> None:
    probe = sandbox.run(["sh", "-c", PROBES[language]], mounts={"work": tmp_path}, cwd="{work}", env={},
                        timeout=60)
    if probe.exit_code != 0:
        why = f"the {language} toolchain is not installed here ({probe.output.strip().splitlines()[-1:]})"
        if IN_DOCKER:
            pytest.fail(f"the sandbox image lacks it: {why}; rebuild it with `gitdgm sandbox build`")
        pytest.skip(f"{why}; .ci/run installs it")


def graded(task: Task, sandbox: object, where: Path, *, reference: bool) -> str:
    workspace = task_workspace(task, where)
    if reference:
        task.write_solution(workspace.directory)
    result = grade_workspace(task, workspace, sandbox)
    return result.outcome + "\n" + result.output


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_reference_resolves_and_the_stub_does_not(exercise: str, sandbox: object, tmp_path: Path) -> None:
    language, slug = exercise.split("/")
    require_toolchain(language, sandbox, tmp_path)
    task = load_suite(f"polyglot:{FIXTURE / language}").get(f"polyglot-{language}-{slug}")
    stub = graded(task, sandbox, tmp_path / "stub", reference=False)
    assert not stub.startswith("resolved\n"), stub
    example = graded(task, sandbox, tmp_path / "example", reference=True)
    assert example.startswith("resolved\n"), example
    if exercise in EVERY_TEST:  # the tests the track disables for students ran too
        assert EVERY_TEST[exercise] in example, example


@pytest.mark.parametrize("exercise", ["go/ledger", "go/counter"])
def test_what_is_excluded_as_unsolvable_passes_untouched(exercise: str, sandbox: object, tmp_path: Path) -> None:
    """The refactoring's stub and the exercise with no tests pass before any change: scoring them would be free."""
    language, slug = exercise.split("/")
    require_toolchain(language, sandbox, tmp_path)
    task = exercise_task(FIXTURE / language / "exercises" / "practice" / slug, language, "medium")
    stub = graded(task, sandbox, tmp_path / "stub", reference=False)
    assert stub.startswith("resolved\n"), stub
