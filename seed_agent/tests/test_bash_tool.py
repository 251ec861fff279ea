"""The bash tool against a real shell: persistence, timeouts, restarts and output truncation."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from dgm_agent.tools.bash import BashSession


@pytest.fixture
def shell(tmp_path: Path) -> BashSession:
    session = BashSession(tmp_path, timeout=10, max_output=2000)
    yield session
    session.close()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_cd_and_variables_persist(shell: BashSession, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert shell.run("cd sub && export GREETING=hello").exit_code == 0
    result = shell.run("pwd; echo $GREETING")
    assert result.output == f"{tmp_path / 'sub'}\nhello"
    assert shell.cwd == str(tmp_path / "sub")


def test_exit_code_stderr_and_output_without_newline(shell: BashSession) -> None:
    result = shell.run("echo out; echo err >&2; printf tail; false")
    assert result.output == "out\nerr\ntail"
    assert result.exit_code == 1
    assert result.render().endswith("[exit code 1]")
    assert shell.run("true").render() == "(no output)\n[exit code 0]"


def test_stdin_is_closed_and_odd_commands_are_safe(shell: BashSession) -> None:
    assert shell.run("cat").exit_code == 0  # would hang if it could read the protocol's stdin
    assert "EOF" in shell.run("echo 'unterminated").output  # a syntax error, and the shell lives on
    assert shell.run("cat <<'X'\nline one\nX").output == "line one"


def test_timeout_kills_the_process_group_and_restarts_in_the_same_directory(shell: BashSession,
                                                                             tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    shell.run("cd d")
    started = time.monotonic()
    result = shell.run("sh -c 'echo $$ > ../pid; exec sleep 30' & echo started; wait", timeout=0.5)
    assert time.monotonic() - started < 5
    assert result.exit_code is None and "timed out after 0.5 s" in result.note
    assert "started" in result.output
    assert "new shell was started in " + str(tmp_path / "d") in result.render()
    pid = int((tmp_path / "pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert shell.run("pwd; echo ok").output == f"{tmp_path / 'd'}\nok"


def test_exit_restarts_the_shell(shell: BashSession) -> None:
    result = shell.run("exit 7")
    assert result.exit_code == 7 and "shell exited with code 7" in result.note
    assert shell.run("echo back").output == "back"


def test_huge_output_keeps_head_and_tail(shell: BashSession) -> None:
    result = shell.run("seq 1 300000")
    assert len(result.output) < 2200
    assert result.output.startswith("1\n2\n3\n")
    assert result.output.endswith("299999\n300000")
    total = len("\n".join(str(n) for n in range(1, 300001)))
    cut = int(result.output.split("[... ")[1].split(" bytes")[0])
    assert cut == total - 2000


def test_the_environment_given_is_the_shells(tmp_path: Path) -> None:
    session = BashSession(tmp_path, env={"PATH": os.environ["PATH"], "ONLY": "this"})
    try:
        assert session.run("echo ${OPENAI_API_KEY:-absent} $ONLY").output == "absent this"
    finally:
        session.close()
