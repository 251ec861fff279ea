"""Both sandbox backends against real processes and real containers: limits hold, nothing is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitdgm.sandbox import Sandbox

FORK_BOMB = """
import os, time
n = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            while True:
                os.fork()
        except OSError:
            time.sleep(60)
        os._exit(0)
    n += 1
print("contained after", n, "forks", flush=True)
"""


@pytest.fixture(params=["process", "docker"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return request.getfixturevalue(f"{request.param}_sandbox")


def test_run_reports_exit_code_and_output(sandbox: Sandbox, tmp_path: Path) -> None:
    result = sandbox.run(["sh", "-c", "echo out; echo err >&2; pwd; exit 3"], mounts={"repo": tmp_path},
                         cwd="{repo}", env={}, timeout=20)
    assert result.exit_code == 3 and not result.timed_out and not result.output_truncated
    lines = result.output.splitlines()  # docker keeps stdout and stderr apart: their order may differ
    assert sorted(lines) == sorted(["out", "err", sandbox.path("repo").format(repo=str(tmp_path))])


def test_timeout_kills_and_reports_within_two_seconds(sandbox: Sandbox) -> None:
    start = time.monotonic()
    result = sandbox.run(["sh", "-c", "echo started; sleep 60"], mounts={}, cwd="/", env={}, timeout=1.5)
    elapsed = time.monotonic() - start
    assert result.timed_out and result.exit_code == 137 and "started" in result.output
    assert 1.5 <= elapsed < 3.5


def test_fork_bomb_is_contained_and_the_run_ends(sandbox: Sandbox) -> None:
    if not getattr(sandbox, "contains_forks", True):
        pytest.skip("root without a writable pids cgroup: the process sandbox cannot bound forks here")
    start = time.monotonic()
    result = sandbox.run(["python3", "-c", FORK_BOMB], mounts={}, cwd="/", env={}, timeout=30)
    assert "contained after" in result.output, result.output[-500:]
    assert result.exit_code == 0 and time.monotonic() - start < 20


def test_huge_output_is_capped_and_killed(sandbox: Sandbox) -> None:
    start = time.monotonic()
    result = sandbox.run(["sh", "-c", "head -c 10G /dev/zero"], mounts={}, cwd="/", env={}, timeout=60,
                         output_limit=100_000)
    assert result.output_exceeded and result.output_truncated and result.exit_code == 137
    assert len(result.output) == 100_000 and not result.timed_out
    assert time.monotonic() - start < 10


def test_output_over_the_cap_but_under_the_hard_cap_is_kept_in_part(sandbox: Sandbox) -> None:
    result = sandbox.run(["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo done >&2"], mounts={},
                         cwd="/", env={}, timeout=20, output_limit=100_000)
    assert result.exit_code == 0 and result.output_truncated and not result.output_exceeded
    assert result.output == "x" * 100_000


def test_edits_in_the_repository_survive_as_a_git_diff(sandbox: Sandbox, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("one\n")
    for argv in (["init", "-q"], ["add", "a.txt"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *argv], cwd=repo, check=True)
    result = sandbox.run(["sh", "-c", "echo two >> a.txt && echo new > b.txt"], mounts={"repo": repo},
                         cwd="{repo}", env={}, timeout=20)
    assert result.exit_code == 0, result.output
    diff = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True, check=True).stdout
    assert "+two" in diff
    assert (repo / "b.txt").read_text() == "new\n" and (repo / "b.txt").stat().st_uid == os.getuid()


def test_deleting_its_own_files_touches_nothing_outside_its_mounts(sandbox: Sandbox, tmp_path: Path) -> None:
    work, keep = tmp_path / "work", tmp_path / "keep"
    work.mkdir()
    keep.mkdir()
    (work / "mine.txt").write_text("x")
    (keep / "precious.txt").write_text("keep me")
    targets = "{work}/* " + (str(keep) if sandbox.isolates else "")  # the process sandbox could reach it
    result = sandbox.run(["sh", "-c", f"rm -rf {targets}; ls -A {{work}}"], mounts={"work": work},
                         cwd="{work}", env={}, timeout=20)
    assert result.exit_code == 0 and result.output == ""
    assert not (work / "mine.txt").exists()
    assert (keep / "precious.txt").read_text() == "keep me"


def test_nothing_is_left_running_after_the_leader_exits(sandbox: Sandbox, tmp_path: Path) -> None:
    result = sandbox.run(["sh", "-c", "sleep 300 & echo $! > {io}/pid; echo bye"], mounts={"io": tmp_path},
                         cwd="/", env={}, timeout=20)
    assert result.exit_code == 0 and result.output == "bye\n" and result.duration < 10
    if not sandbox.isolates:  # a container's pid means nothing here; its removal is checked by the fixture
        assert _gone(int((tmp_path / "pid").read_text()))


def test_keyboard_interrupt_leaves_nothing_behind(sandbox: Sandbox, tmp_path: Path) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.run(["sh", "-c", "sleep 300 & echo $! > {io}/pid; wait"], mounts={"io": tmp_path},
                        cwd="/", env={}, timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if not sandbox.isolates:
        assert _gone(int((tmp_path / "pid").read_text()))


def test_missing_command_is_exit_127(sandbox: Sandbox) -> None:
    result = sandbox.run(["no-such-command-xyz"], mounts={}, cwd="/", env={}, timeout=20)
    assert result.exit_code == 127 and "no-such-command-xyz" in result.output


def test_environment_is_exactly_what_was_given(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-secret")
    result = sandbox.run([sys.executable if not sandbox.isolates else "python3", "-c",
                          "import os; print(os.environ.get('OPENAI_API_KEY'), os.environ['GITDGM_X'])"],
                         mounts={"io": tmp_path}, cwd="/", env={"GITDGM_X": "{io}/problem.md {}"}, timeout=20)
    assert result.output.split() == ["None", sandbox.path("io").format(io=str(tmp_path)) + "/problem.md", "{}"]


def _gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (an unreaped zombie counts as gone)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_run_gets_the_python_that_runs_gitdgm(process_sandbox: Sandbox, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """gitdgm in a venv that is not activated: ``python3`` on the user's PATH is another interpreter (here one
    that only fails), yet a run's ``python3`` is the one with gitdgm's packages (openai, pytest)."""
    other = tmp_path / "bin"
    other.mkdir()
    (other / "python3").write_text("#!/bin/sh\necho 'not the one' >&2\nexit 99\n")
    (other / "python3").chmod(0o755)
    monkeypatch.setenv("PATH", f"{other}{os.pathsep}{os.environ['PATH']}")
    result = process_sandbox.run(["python3", "-c", "import sys, openai, pytest; print(sys.executable)"],
                                 mounts={}, cwd="/", env={}, timeout=20)
    assert result.exit_code == 0, result.output
    assert Path(result.output.strip()).resolve() == Path(sys.executable).resolve()
    ls = process_sandbox.run(["sh", "-c", "command -v ls"], mounts={}, cwd="/", env={}, timeout=20)
    assert ls.output.strip() == subprocess.run(["sh", "-c", "command -v ls"], capture_output=True, text=True,
                                               check=True).stdout.strip()  # the rest of PATH as it was
