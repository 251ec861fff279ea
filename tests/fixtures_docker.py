"""Sandbox fixtures: ``docker_sandbox`` (skips only where no daemon or image is found, fails instead when
GITDGM_REQUIRE_DOCKER=1, as in CI) and ``process_sandbox``. Both use small limits so tests stay fast."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gitdgm.sandbox.container import DockerSandbox, connect, leftover_containers, probe
from gitdgm.sandbox.process import ProcessSandbox

TEST_PIDS_LIMIT = 64


@pytest.fixture(scope="session")
def docker_available() -> None:
    status = probe()
    if not status.usable:
        if os.environ.get("GITDGM_REQUIRE_DOCKER") == "1":
            pytest.fail(f"GITDGM_REQUIRE_DOCKER=1 but {status.reason}", pytrace=False)
        pytest.skip(status.reason)


@pytest.fixture
def docker_sandbox(docker_available: None) -> Iterator[DockerSandbox]:
    """A docker sandbox; after the test, no gitdgm-labelled container may remain."""
    sandbox = DockerSandbox(cpus=1.0, memory="256m", pids_limit=TEST_PIDS_LIMIT)
    yield sandbox
    assert leftover_containers(connect()) == []


@pytest.fixture
def process_sandbox() -> ProcessSandbox:
    return ProcessSandbox(pids_limit=TEST_PIDS_LIMIT, quiet=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs docker (directly, or as the ``docker`` case of a parametrized sandbox)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if "docker_available" in getattr(item, "fixturenames", ()) or (
                callspec is not None and "docker" in callspec.params.values()):
            item.add_marker(pytest.mark.docker)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many docker tests ran: in CI they must run, not skip."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        reports = terminalreporter.stats.get(outcome, [])
        counted = {r.nodeid for r in reports if "docker" in getattr(r, "keywords", {})}
        if counted:
            counts[outcome] = len(counted)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items()) or "none collected"
    terminalreporter.write_line(f"docker tests: {summary}")
