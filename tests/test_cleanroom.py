"""Clean-room grading and reading back from a sandbox, piece by piece: the read-back, the walk, the change taken
as data, the rule of which paths belong to the task, and grading in a fresh folder (tests/test_hostile.py drives
whole hostile agents through evaluation)."""

from __future__ import annotations

import os
import resource
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pygit2
import pytest
import tomli_w

from gitdgm.sandbox import open_sandbox
from gitdgm.sandbox.readback import Limits, TooLarge, Untrusted, read_capped, read_head_and_tail, read_text, walk
from gitdgm.sandbox.scratch import remove_tree
from gitdgm.suites import load_dir_suite
from gitdgm.suites.grade import clean_tree, grade
from gitdgm.suites.protect import Protection
from gitdgm.archive.scratch import Workspace, new_store

SECRET = "host-secret-5d1e"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A host file outside every folder a run owns."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(SECRET)
    path.chmod(0o640)
    return path


# --- reading back ---------------------------------------------------------------------------------------------


def test_read_back_refuses_links_at_any_component(tmp_path: Path, outside: Path) -> None:
    io = tmp_path / "io"
    (io / "out").mkdir(parents=True)
    (io / "out" / "transcript.md").symlink_to(outside)
    assert SECRET not in read_text(io, "out/transcript.md", 1000)
    with pytest.raises(Untrusted):
        read_capped(io, "out/transcript.md", 1000)
    shutil.rmtree(io / "out")
    (io / "out").symlink_to(outside.parent)  # the folder itself swapped for a link
    (outside.parent / "transcript.md").write_text(SECRET)
    with pytest.raises(Untrusted):
        read_capped(io, "out/transcript.md", 1000)
    assert "was not read" in read_text(io, "out/transcript.md", 1000)


def test_read_back_refuses_a_fifo_without_blocking_and_caps_what_it_reads(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    started = time.monotonic()
    with pytest.raises(Untrusted, match="not a regular file"):
        read_capped(tmp_path, "fifo", 100)
    assert time.monotonic() - started < 1
    (tmp_path / "log").write_bytes(b"a" * 5000 + b"THE END")
    head, cut = read_capped(tmp_path, "log", 100)
    assert cut and head == b"a" * 100
    tail = read_text(tmp_path, "log", 7, tail=True)
    assert tail.endswith("THE END") and "cut" in tail
    assert read_text(tmp_path, "missing", 100) == ""
    (tmp_path / "transcript.md").write_text("THE START " + "m" * 5000 + " THE END")
    both = read_head_and_tail(tmp_path, "transcript.md", 400)
    assert both.startswith("THE START") and both.endswith("THE END") and "middle of transcript.md was cut" in both
    assert len(both) < 500 and read_head_and_tail(tmp_path, "log", 10_000) == "a" * 5000 + "THE END"


def test_walk_stops_at_the_caps_before_reading(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    with open(repo / "big.bin", "wb") as f:  # sparse: 2 GiB by its size, nothing on disk
        f.truncate(2 * 2**30)
    with pytest.raises(TooLarge, match="max_repo_mb"):
        walk(repo, Limits(max_bytes=256 * 2**20))
    (repo / "big.bin").unlink()
    for i in range(30):
        (repo / f"f{i}").write_text("x")
    with pytest.raises(TooLarge, match="max_repo_files"):
        walk(repo, Limits(max_files=20))


def test_walk_leaves_out_special_files_and_names_git_cannot_hold(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "skip.d").mkdir(parents=True)
    (repo / "skip.d" / "x").write_text("x")
    os.mkfifo(repo / "pipe")
    (repo / os.fsdecode(b"bad\xffname")).write_text("x")
    (repo / "ok.py").write_text("x")
    (repo / "link").symlink_to("/etc")
    (repo / "sub").mkdir()
    (repo / "sub" / "skip.d").write_text("gitdir: /\n")  # a file by a skipped name is skipped too, as .git is
    entries, left_out = walk(repo, Limits(), frozenset({"skip.d"}))
    assert sorted(e.path for e in entries) == ["link", "ok.py"]
    assert "pipe" in left_out and any(name.startswith("bad") for name in left_out)


def _nest(root: Path, depth: int) -> None:
    """``depth`` folders, one inside the other, below ``root`` (made relative to each, as paths get long)."""
    subprocess.run(f"for i in $(seq {depth}); do mkdir d && cd d || exit 1; done; echo x > deep.py", shell=True,
                   cwd=root, check=True)


def test_walk_holds_one_descriptor_per_level_and_refuses_depth(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for i in range(300):
        (repo / "wide" / f"d{i}").mkdir(parents=True)
    (repo / "wide" / "d7" / "f.py").write_text("x")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    try:
        entries, _ = walk(repo, Limits())
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert [e.path for e in entries] == ["wide/d7/f.py"]
    _nest(repo, 40)
    with pytest.raises(TooLarge, match="deeper than 30"):
        walk(repo, Limits(max_depth=30))


def test_remove_tree_takes_what_rmtree_cannot_and_follows_no_link(tmp_path: Path, outside: Path) -> None:
    doomed = tmp_path / "doomed"
    doomed.mkdir()
    _nest(doomed, 1200)  # shutil.rmtree raises RecursionError here
    (doomed / "out").symlink_to(outside.parent)
    (doomed / "locked" / "inner").mkdir(parents=True)
    (doomed / "locked" / "inner" / "f").write_text("x")
    for folder in (doomed / "locked" / "inner", doomed / "locked"):
        folder.chmod(0)
    before = outside.read_text(), outside.stat().st_mode
    remove_tree(doomed)
    assert not doomed.exists() and (outside.read_text(), outside.stat().st_mode) == before
    link = tmp_path / "link"
    link.symlink_to(outside.parent)
    remove_tree(link)  # a link where a folder was expected goes, what it points at stays
    assert not link.is_symlink() and outside.exists()


# --- the change, as data --------------------------------------------------------------------------------------


def _workspace(tmp_path: Path, files: dict[str, str]) -> Workspace:
    repo = tmp_path / "repo"
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return Workspace(repo, new_store(tmp_path / "store"), Limits())


def test_changes_keep_links_and_modes_as_data_and_ignore_the_agents_git(tmp_path: Path, outside: Path) -> None:
    ws = _workspace(tmp_path, {"a.py": "a\n", "gone.py": "g\n", "keep.py": "k\n"})
    repo = ws.directory
    (repo / "a.py").write_text("changed\n")
    (repo / "gone.py").unlink()
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "leak").symlink_to(outside)
    shutil.rmtree(repo / ".git")  # the agent's own repository is not what gitdgm reads
    (repo / ".git").write_text("gitdir: /\n")  # nor one it points elsewhere
    (repo / "pkg" / ".GIT").mkdir(parents=True)  # and git refuses to store this name: left out, not an error
    (repo / "pkg" / ".GIT" / "config").write_text("x\n")
    changes = ws.changes()
    by_path = {c.path: c for c in changes.entries()}
    assert sorted(by_path) == ["a.py", "gone.py", "leak", "run.sh"]
    assert changes.special == ("pkg/.GIT/config",)
    assert by_path["gone.py"].deleted and by_path["run.sh"].mode == pygit2.enums.FileMode.BLOB_EXECUTABLE
    assert by_path["leak"].mode == pygit2.enums.FileMode.LINK and changes.link_target(by_path["leak"]) == str(outside)
    assert SECRET not in changes.patch()


def test_changes_of_a_vanished_repository_are_the_agents_failure(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, {"a.py": "a\n"})
    shutil.rmtree(ws.directory)
    with pytest.raises(Untrusted, match="gone"):
        ws.changes()


# --- the rule ---------------------------------------------------------------------------------------------------

RULE = Protection.for_task(["tests_hidden/test_calc.py"], ["calc.py", "test_calc.py", "pkg/util.py"],
                           "python3 -m pytest -q tests_hidden && sh check.sh")


@pytest.mark.parametrize(("path", "new"), [
    ("conftest.py", True), ("sub/conftest.py", True), ("pytest.ini", True), ("pyproject.toml", False),
    ("setup.cfg", True), ("tox.ini", True), ("pytest.py", True), ("_pytest/__init__.py", True),
    ("json.py", True), ("src/os.py", True), ("sitecustomize.py", True), ("x.pth", True),
    ("tests_hidden", True), ("tests_hidden/test_calc.py", True), ("tests_hidden/__init__.py", True),
    ("tests_hidden/helper.py", True), ("test_calc.py", False), ("check.sh", True), ("tests/data.json", True),
    ("package.json", False), ("jest.config.js", True), ("node_modules/jest/index.js", True),
    ("calc.test.js", True), ("go.mod", False), ("zz_test.go", True), ("vendor/x/y.go", True),
    ("Cargo.toml", False), ("build.rs", True), (".cargo/config.toml", True), ("CMakeLists.txt", False),
    ("pom.xml", False), ("src/test/java/CalcTest.java", True), ("helper-1.0.dist-info/entry_points.txt", True),
    ("src/plugin.egg-info/entry_points.txt", True),
])  # fmt: skip
def test_rule_keeps_tests_runner_config_and_import_path_with_the_task(path: str, new: bool) -> None:
    assert RULE.why(path, new=new), f"{path} should belong to the task"


@pytest.mark.parametrize(("path", "new"), [
    ("calc.py", False), ("pkg/util.py", False), ("pkg/json.py", True), ("helpers.py", True),
    ("lib/parse.go", True), ("src/lib.rs", True), ("index.js", True), ("README.md", False),
])  # fmt: skip
def test_rule_lets_the_code_under_test_change(path: str, new: bool) -> None:
    assert RULE.why(path, new=new) is None


# --- grading in a clean room ------------------------------------------------------------------------------------


def _task_dir(root: Path, language: str, repo: dict[str, str], tests: dict[str, str], command: str) -> Path:
    task = root / "suite" / "t1"
    for sub, files in (("repo", repo), ("tests", tests)):
        for rel, text in files.items():
            (task / sub / rel).parent.mkdir(parents=True, exist_ok=True)
            (task / sub / rel).write_text(text)
    (task / "task.toml").write_text(tomli_w.dumps({
        "schema": 1, "id": "t1", "language": language, "difficulty": "easy", "problem": "fix it",
        "test_command": command, "test_time_limit": 60}))
    return task.parent


PY_REPO = {"calc.py": "def add(a, b):\n    return a - b\n"}
PY_TESTS = {"tests_hidden/test_calc.py": "import calc\n\ndef test_add():\n    assert calc.add(2, 3) == 5\n"}


def test_grading_drops_runner_tricks_and_keeps_the_fix(tmp_path: Path) -> None:
    task = load_dir_suite(_task_dir(tmp_path, "python", PY_REPO, PY_TESTS, "python3 -m pytest -q tests_hidden")).tasks[0]
    sandbox = open_sandbox("process", quiet=True)
    repo = tmp_path / "repo"
    task.write_repo(repo)
    ws = Workspace(repo, new_store(tmp_path / "store"), Limits())
    (repo / "conftest.py").write_text("def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n")
    (repo / "pytest.ini").write_text("[pytest]\naddopts = --collect-only\n")
    (repo / "tests_hidden").mkdir()
    (repo / "tests_hidden" / "test_calc.py").write_text("def test_add():\n    pass\n")
    tree, dropped = clean_tree(task, ws.changes())
    assert sorted(d.split(":")[0] for d in dropped) == ["conftest.py", "pytest.ini", "tests_hidden/test_calc.py"]
    gamed = grade(task, ws.changes(), sandbox)
    assert gamed.outcome == "unresolved" and len(gamed.tampering) == 3, gamed.output
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    fixed = grade(task, ws.changes(), sandbox)
    assert fixed.outcome == "resolved" and len(fixed.tampering) == 3, fixed.output


def test_grading_never_writes_through_a_link_the_agent_left(tmp_path: Path, outside: Path) -> None:
    task = load_dir_suite(_task_dir(tmp_path, "python", PY_REPO, PY_TESTS, "python3 -m pytest -q tests_hidden")).tasks[0]
    repo = tmp_path / "repo"
    task.write_repo(repo)
    ws = Workspace(repo, new_store(tmp_path / "store"), Limits())
    (repo / "tests_hidden").symlink_to(outside.parent)  # the hidden tests would land on the host
    (repo / "calc_data").symlink_to(outside)
    before = (outside.read_text(), stat.S_IMODE(outside.stat().st_mode), sorted(os.listdir(outside.parent)))
    result = grade(task, ws.changes(), open_sandbox("process", quiet=True))
    assert result.outcome == "unresolved"
    assert {d.split(":")[0] for d in result.tampering} == {"tests_hidden", "calc_data"}
    assert (outside.read_text(), stat.S_IMODE(outside.stat().st_mode), sorted(os.listdir(outside.parent))) == before


@pytest.mark.skipif(not shutil.which("go"), reason="go is not installed here")
def test_grading_keeps_go_test_files_with_the_task(tmp_path: Path) -> None:
    repo = {"go.mod": "module calc\n\ngo 1.19\n", "calc.go": "package calc\n\nfunc Add(a, b int) int { return a - b }\n"}
    tests = {"calc_test.go": 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n'
                             '\tif Add(2, 3) != 5 {\n\t\tt.Fatal("wrong")\n\t}\n}\n'}
    task = load_dir_suite(_task_dir(tmp_path, "go", repo, tests, "go test ./...")).tasks[0]
    ws_dir = tmp_path / "repo"
    task.write_repo(ws_dir)
    ws = Workspace(ws_dir, new_store(tmp_path / "store"), Limits())
    (ws_dir / "main_test.go").write_text('package calc\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
                                         "func TestMain(m *testing.M) { os.Exit(0) }\n")
    result = grade(task, ws.changes(), open_sandbox("process", quiet=True))
    assert result.outcome == "unresolved" and result.tampering == ("main_test.go: a test file",), result.output
