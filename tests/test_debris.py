"""A killed step leaves debris (sandbox processes in their own session, containers, temporary folders); the next
step ends and removes it, never a live runner's; a clean step leaves nothing.

``gitdgm step`` runs as a real subprocess with TMPDIR pointed at a folder of the test's own, so "nothing is left"
is exact. The seed agent blocks mid-evaluation (and forks a child that leaves its session) until the task's
repository holds a file named ``release``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
from eval_helpers import script, write_suite
from step_helpers import gitdgm
from step_helpers import make_archive as make_demo_archive

from gitdgm.archive import Archive
from gitdgm.archive.create import init_archive
from gitdgm.sandbox import owner, reaper

BLOCKER = '''
import os, subprocess, sys, time

if os.path.exists("release"):  # the working directory is the task's repository
    sys.exit(0)
out = os.environ["GITDGM_OUTPUT_DIR"]
subprocess.Popen([sys.executable, "-c", f"""
import os, time
os.setsid()  # out of the agent's session, as a daemon would go
with open({out!r} + "/started.tmp", "w") as f:
    f.write(f"{{os.getppid()}} {{os.getpid()}}")
os.rename({out!r} + "/started.tmp", {out!r} + "/started")
time.sleep(600)
"""])
time.sleep(600)
'''
TASK = "t1-add"


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """The steps' TMPDIR: private to the test, and short (the gateway's socket paths must fit in 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="dgm"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_blocking_archive(path: Path, backend: str) -> tuple[str, str]:
    """An archive whose pending seed is the blocker, with a one-task suite; returns the archive key and seed."""
    seed = path.parent / "blocker-seed"
    seed.mkdir()
    (seed / "agent.toml").write_text('schema = 1\nname = "blocker"\nentry = ["python3", "-m", "blocker"]\n')
    (seed / "blocker.py").write_text(BLOCKER)
    archive, seed_id = init_archive(path, seed)
    write_suite(path / "suite", [TASK])
    config = {"schema": 1, "model": {"name": "scripted-test", "base_url": "scripted:model.toml"},
              "eval": {"suite": "suite", "stages": [1], "thresholds": [], "workers": 1, "agent_time_limit": 300},
              "sandbox": {"backend": backend}}
    files = {"gitdgm.toml": tomli_w.dumps(config).encode(), "model.toml": tomli_w.dumps(script({})).encode()}
    files.update({p.relative_to(path).as_posix(): p.read_bytes()
                  for p in sorted((path / "suite").rglob("*")) if p.is_file()})
    archive.commit_files(files, "test experiment: a blocking seed, one task")
    return owner.archive_key(archive.repo.path), seed_id


def start_step(path: Path, short_tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """``gitdgm step`` in the background; returns it once its agent runs, with the agent's ``started`` file."""
    errors = path.parent / "step.stderr"
    with errors.open("wb") as stderr:
        step = subprocess.Popen([sys.executable, "-c", "from gitdgm.cli.main import main; main()", "step", "-C",
                                 str(path)], env={**os.environ, "TMPDIR": str(short_tmp)}, stdout=subprocess.DEVNULL,
                                stderr=stderr)
    deadline = time.monotonic() + 120
    while not (found := list(short_tmp.glob("gitdgm-*/*/gitdgm-io-*/out/started"))):
        assert step.poll() is None, f"the step ended (exit {step.returncode}): {errors.read_text()}"
        assert time.monotonic() < deadline, "the agent never started"
        time.sleep(0.1)
    return step, found[0]


def kill9(step: subprocess.Popen[bytes]) -> None:
    step.send_signal(signal.SIGKILL)
    assert step.wait() == -signal.SIGKILL


def alive(pid: int) -> bool:
    """Running (a zombie is not: it has exited and waits for its parent to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def marked(key: str) -> list[int]:
    """Live processes started by a process sandbox of the archive (their environment names its key)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if any(item.startswith(f"GITDGM_OWNER={key}-".encode()) for item in environ) and alive(int(entry)):
            found.append(int(entry))
    return found


def containers(key: str, **extra: str) -> list[str]:
    from gitdgm.sandbox.container import ARCHIVE_LABEL, LABEL, connect

    return [c.name for c in connect().containers.list(
        all=True, filters={"label": [f"{LABEL}=1", f"{ARCHIVE_LABEL}={key}"], **extra})]


def release_and_step(path: Path, short_tmp: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Let the agent finish at once, then run ``command`` (a step by default) with the test's TMPDIR."""
    (path / "suite" / TASK / "repo" / "release").write_text("")
    return gitdgm(path, *(command or ("step",)), env={"TMPDIR": str(short_tmp)})


@pytest.mark.slow
@pytest.mark.parametrize("then", ["step", "eval"])
def test_kill_9_mid_evaluation_then_a_step_or_eval_leaves_no_process_or_folder(then: str, tmp_path: Path,
                                                                              short_tmp: Path) -> None:
    path = tmp_path / "archive"
    key, seed = make_blocking_archive(path, "process")
    step, started = start_step(path, short_tmp)
    agent, daemon = (int(pid) for pid in started.read_text().split())
    kill9(step)
    assert '"phase": "evaluate"' in (path / ".git" / "gitdgm" / "journal.json").read_text()
    assert alive(agent) and alive(daemon), "the kill did not orphan the agent: this test would prove nothing"
    assert os.getsid(daemon) != os.getsid(agent)
    assert set(marked(key)) >= {agent, daemon} and started.exists()

    again = release_and_step(path, short_tmp, *(["eval", seed] if then == "eval" else []))
    assert again.returncode == 0, again.stderr
    assert "cleaned up after killed gitdgm runs" in again.stderr and "1 run folder(s) removed" in again.stderr
    assert not alive(agent) and not alive(daemon) and marked(key) == []
    assert os.listdir(short_tmp) == []


@pytest.mark.slow
def test_kill_9_of_a_docker_step_then_a_step_removes_its_container(docker_available: None, tmp_path: Path,
                                                                 short_tmp: Path) -> None:
    path = tmp_path / "archive"
    key, _seed = make_blocking_archive(path, "docker")
    step, _started = start_step(path, short_tmp)
    kill9(step)
    # the run's container, and the idle warm containers the sandbox had started ahead (sandbox/warm.py)
    assert len(containers(key, status="running")) >= 1, "the kill did not leave the container running"

    again = release_and_step(path, short_tmp)
    assert again.returncode == 0, again.stderr
    assert "cleaned up after killed gitdgm runs" in again.stderr and "1 run folder(s) removed" in again.stderr
    assert containers(key) == [] and os.listdir(short_tmp) == []


@pytest.mark.slow
def test_a_live_runners_processes_and_folders_are_not_touched(tmp_path: Path, short_tmp: Path) -> None:
    path = tmp_path / "archive"
    key, _seed = make_blocking_archive(path, "process")
    step, started = start_step(path, short_tmp)
    try:
        agent, daemon = (int(pid) for pid in started.read_text().split())
        folders = sorted(p.relative_to(short_tmp) for p in short_tmp.glob("gitdgm-*/*/*"))
        (live,) = {folder.parts[1] for folder in folders}
        start = int(Path(f"/proc/{step.pid}/stat").read_text().rpartition(")")[2].split()[19])
        assert live == owner.Owner(key, owner.host(), step.pid, start).name
        dead = short_tmp / folders[0].parts[0] / owner.Owner(key, owner.host(), step.pid, start + 1).name
        (dead / "run-x").mkdir(parents=True)  # as if the pid had been another gitdgm's before

        second = gitdgm(path, "step", env={"TMPDIR": str(short_tmp)})  # reaps, then finds the archive locked
        assert second.returncode == 5, second.stderr
        assert "1 run folder(s) removed" in second.stderr and not dead.exists()
        assert step.poll() is None and alive(agent) and alive(daemon) and started.exists()
        assert sorted(p.relative_to(short_tmp) for p in short_tmp.glob("gitdgm-*/*/*")) == folders
    finally:
        kill9(step)
    assert release_and_step(path, short_tmp).returncode == 0
    assert marked(key) == [] and os.listdir(short_tmp) == []


@pytest.mark.slow
def test_a_clean_step_leaves_nothing(tmp_path: Path, short_tmp: Path) -> None:
    path = tmp_path / "archive"
    make_demo_archive(path)  # the real seed agent: evaluation, diagnosis, self-modification, the child's check
    result = gitdgm(path, "step", "--seed", "1", env={"TMPDIR": str(short_tmp)})
    assert result.returncode == 0, result.stderr
    assert "self-modification | evaluated" in result.stdout
    assert os.listdir(short_tmp) == []
    assert marked(owner.archive_key(Archive(path).repo.path)) == []


def test_the_reaper_judges_owners_by_pid_start_time_and_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An owner whose pid now names another process is dead, whatever its archive; a live owner and another
    host's (or pid namespace's) are left alone with their marked processes, and so is what is not an owner."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    sleepers: list[subprocess.Popen[bytes]] = []

    def sleeper(marker: str) -> subprocess.Popen[bytes]:
        sleepers.append(subprocess.Popen(["sleep", "60"], env={"GITDGM_OWNER": marker}, start_new_session=True))
        return sleepers[-1]

    try:
        with owner.claim("a" * 8) as mine:
            target = sleeper("")
            start = int(open(f"/proc/{target.pid}/stat").read().rpartition(")")[2].split()[19])
            live = owner.Owner("a" * 8, owner.host(), target.pid, start)
            live_elsewhere = owner.Owner("b" * 8, owner.host(), target.pid, start)
            foreign_host = owner.Owner("a" * 8, "0" * 8, 1, 1)
            reused = [owner.Owner(key, owner.host(), target.pid, start + 1) for key in ("a" * 8, "b" * 8)]
            kept = [live, live_elsewhere, foreign_host]
            for who in kept + reused:
                (mine.root / who.name / "run-x").mkdir(parents=True)
            (mine.root / "not-an-owner").mkdir()
            link = f"{reused[0].name}0"  # named like a dead owner (another start time), but a link
            (mine.root / link).symlink_to(mine.root / "not-an-owner")
            spared = [sleeper(f"{who.name}/0") for who in [*kept, mine.owner]]
            orphans = [sleeper(f"{who.name}/3") for who in reused]
            done = reaper.reap(mine)
            assert done.owners == 2 and done.processes >= 2 and done.containers == 0
            assert [p.wait(timeout=5) for p in orphans] == [-signal.SIGKILL] * 2
            assert all(p.poll() is None for p in spared) and target.poll() is None
            left = sorted(os.listdir(mine.root))
            assert left == sorted([w.name for w in [*kept, mine.owner]] + ["not-an-owner", link])
            assert os.listdir(mine.folder) == []  # the dead owners' folders went through this one and are gone
        assert mine.owner.name not in os.listdir(mine.root)
    finally:
        for p in sleepers:
            p.kill()
            p.wait()
