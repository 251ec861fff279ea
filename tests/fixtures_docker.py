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
