"""Choosing a backend, bad arguments as one-line errors, placeholders, and `gitdgm sandbox check`."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitdgm.errors import SandboxError
from gitdgm.sandbox import open_sandbox
from gitdgm.sandbox.base import OutputCap, substitute
from gitdgm.cli.sandbox import sandbox as sandbox_group
from gitdgm.sandbox.container import probe


def test_substitute_replaces_only_known_names() -> None:
    paths = {"repo": "/gitdgm/repo", "socket": "/s/gw.sock"}
    assert substitute("{repo}/x {socket} {} {other} ${repo}", paths) == "/gitdgm/repo/x /s/gw.sock {} {other} $/gitdgm/repo"


def test_output_cap_keeps_the_first_bytes_and_flags_the_hard_cap() -> None:
    cap = OutputCap(4)
    assert cap.add(b"abc") and cap.add(b"defg") and cap.text() == "abcd" and cap.truncated
    assert not cap.add(b"x" * 40) and cap.exceeded


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout must be positive"),
        ({"output_limit": 0}, "output_limit must be positive"),
        ({"mounts": {"repo": Path("/no/such/dir")}}, "is not a directory"),
        ({"mounts": {"socket": Path("/")}}, "must be a word other than 'socket'"),
        ({"cwd": "/no/such/dir"}, "cwd /no/such/dir is not a directory"),
    ],
)
def test_bad_arguments_are_one_line_sandbox_errors(process_sandbox, kwargs: dict, message: str) -> None:
    args = {"mounts": {}, "cwd": "/", "env": {}, "timeout": 5.0} | kwargs
    with pytest.raises(SandboxError, match=message) as caught:
        process_sandbox.run(["true"], **args)
    assert "\n" not in str(caught.value)


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(SandboxError, match="unknown sandbox kind 'vm'"):
        open_sandbox("vm")


def test_docker_with_a_missing_image_says_how_to_build(docker_available: None) -> None:
    with pytest.raises(SandboxError, match="gitdgm sandbox build"):
        open_sandbox("docker", image="gitdgm-no-such-image:0")


def test_auto_falls_back_to_process_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gitdgm.sandbox"):
        sandbox = open_sandbox("auto", image="gitdgm-no-such-image:0", quiet=True)
    assert sandbox.name == "process" and not sandbox.isolates
    assert "using the process sandbox" in caplog.text


def test_auto_picks_docker_when_usable(docker_available: None) -> None:
    assert open_sandbox("auto", quiet=True, pids_limit=32).name == "docker"


def test_unknown_option_is_an_error() -> None:
    with pytest.raises(SandboxError, match="unknown sandbox option.*gpus"):
        open_sandbox("process", gpus=1)


def test_check_reports_backend_and_exit_code() -> None:
    result = CliRunner().invoke(sandbox_group, ["check", "--json", "--image", "gitdgm-no-such-image:0"],
                                catch_exceptions=False)
    record = json.loads(result.output)
    assert result.exit_code == 1 and record["backend"] == "process" and not record["image_present"]
    usable = probe().usable
    result = CliRunner().invoke(sandbox_group, ["check"], catch_exceptions=False)
    assert result.exit_code == (0 if usable else 1)
    assert result.output.startswith("auto sandbox: " + ("docker" if usable else "process"))
