"""Sharing an archive: `gitdgm clone` brings records and rejected agents; a plain `git clone` is told what it lacks.

A real archive (agents as commits, notes, a rejected agent) is pushed to a local bare remote the way a user shares
one (`git push` of the default branch, `gitdgm sync` of agents and notes), then cloned both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_helpers import add_child, evaluated, git, invoke, new_archive, run_script
from click.testing import Result

from gitdgm.archive import Archive
from gitdgm.archive.clone import default_directory
from gitdgm.archive.refs import fetch_refspecs
from gitdgm.archive.sync import sync


@dataclass
class Shared:
    source: Archive  # where the archive is grown
    remote: Path  # a bare repository both sides push to and fetch from
    seed: str
    best: str
    rejected: str


@pytest.fixture
def shared(tmp_path: Path) -> Shared:
    archive, seed = new_archive(tmp_path, "source")
    archive.write_record(seed, evaluated(None, 0, 0.4))
    best = add_child(archive, seed, "Retry failed tests", {"retry.py": "RETRY = 2\n"}, score=0.6, work=tmp_path)
    rejected = add_child(archive, seed, "Break the entry", {"tiny.py": "raise SystemExit(1)\n"}, work=tmp_path)
    archive.move_to_rejected(rejected)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    archive.repo.remotes.create("origin", str(remote))
    git(archive.path, "push", "-q", "origin", "main")
    sync(archive)
    return Shared(archive, remote, seed, best, rejected)


def _ls(path: Path) -> dict[str, list[str]]:
    result = invoke("ls", "-C", str(path))
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line.strip()}


def _one_line_error(result: Result, *parts: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gitdgm: error: "), result.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def test_clone_brings_records_rejected_agents_and_branches(shared: Shared, tmp_path: Path) -> None:
    result = invoke("clone", str(shared.remote), str(tmp_path / "mine"))
    assert result.exit_code == 0, result.output
    assert "3 agents (2 admitted, 1 rejected)" in result.stdout and f"best {shared.best[:12]} (0.600)" in result.stdout
    mine = tmp_path / "mine"
    refs = git(mine, "for-each-ref", "--format=%(refname)").split()
    assert "refs/notes/dgm" in refs and f"refs/dgm/rejected/{shared.rejected[:12]}" in refs
    assert {f"refs/heads/dgm/{shared.seed[:12]}", f"refs/heads/dgm/{shared.best[:12]}"} <= set(refs)
    rows = _ls(mine)
    assert rows[shared.best[:12]][3:6] == ["0.600", "0", "evaluated"]
    assert rows[shared.seed[:12]][3] == "0.400" and rows[shared.rejected[:12]][5] == "rejected"
    assert (mine / "gitdgm.toml").is_file()  # the experiment is checked out
    configured = git(mine, "config", "--get-all", "remote.origin.fetch").split()
    assert "+refs/notes/dgm*:refs/notes/remotes/origin/dgm*" in configured
    assert set(fetch_refspecs("origin")) - set(configured) == {"+refs/heads/dgm/*:refs/remotes/origin/dgm/*"}
    assert invoke("tree", "-C", str(mine)).stderr == ""


def test_a_new_record_on_the_remote_arrives_with_plain_git_fetch(shared: Shared, tmp_path: Path) -> None:
    assert invoke("clone", str(shared.remote), str(tmp_path / "mine")).exit_code == 0
    mine = tmp_path / "mine"
    newer = add_child(shared.source, shared.best, "Read the failing test first", {"read.py": "R = 1\n"},
                      score=0.8, work=tmp_path)
    sync(shared.source)

    git(mine, "fetch", "-q")  # the refspecs gitdgm clone configured: no arguments needed
    assert git(mine, "notes", "--ref=refs/notes/remotes/origin/dgm", "show", newer).startswith("schema = 1")
    assert git(mine, "rev-parse", f"refs/remotes/origin/dgm/{newer[:12]}").strip() == newer
    stale = invoke("ls", "-C", str(mine))  # fetched, not merged yet: the table as it is, and the hint
    assert stale.exit_code == 0 and newer[:12] not in stale.stdout
    assert "origin has 1 agent and records that this archive has not merged" in stale.stderr
    assert "`gitdgm sync --fetch-only`" in stale.stderr

    assert invoke("sync", "-C", str(mine), "--fetch-only").exit_code == 0
    assert _ls(mine)[newer[:12]][3:6] == ["0.800", "0", "evaluated"]
    assert invoke("ls", "-C", str(mine)).stderr == ""
    git(mine, "pull", "-q", "--ff-only")  # git pull copes with the extra refspecs too


def test_a_plain_git_clone_names_the_fetch_and_following_it_works(shared: Shared, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    git(tmp_path, "clone", "-q", str(shared.remote), str(plain))
    hint = ("this clone has 2 agents on origin's dgm/ branches (refs/remotes/origin/dgm/*) but no local dgm/ "
            "branches or records (refs/notes/dgm): fetch them with `gitdgm sync --fetch-only`")
    for command in (["ls"], ["ls", "--json"], ["tree"], ["step"], ["step", "--dry-run"], ["run", "-n", "1"]):
        assert _one_line_error(invoke(*command, "-C", str(plain)), hint)
    assert "gitdgm init" not in invoke("tree", "-C", str(plain)).stderr
    done = run_script("step", cwd=plain)  # the console script: a non-zero exit, one line, no traceback
    assert done.returncode == 1 and hint in done.stderr and "Traceback" not in done.stderr

    assert invoke("sync", "-C", str(plain), "--fetch-only").exit_code == 0
    rows = _ls(plain)
    assert rows[shared.best[:12]][3] == "0.600" and rows[shared.rejected[:12]][5] == "rejected"


def test_a_bare_clone_has_branches_but_no_records(shared: Shared, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(shared.remote), str(bare))
    _one_line_error(invoke("ls", "-C", str(bare)), "this archive has 2 agents on dgm/ branches but no records "
                    "(refs/notes/dgm): fetch them with `gitdgm sync --fetch-only`")
    assert invoke("sync", "-C", str(bare), "--fetch-only").exit_code == 0
    assert _ls(bare)[shared.best[:12]][3] == "0.600"


def test_clone_errors_name_what_and_the_fix(shared: Shared, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-archive"
    _one_line_error(invoke("clone", str(missing), str(tmp_path / "a")), f"cannot clone {missing}",
                    "does not appear to be a git repository", "check the URL")
    full = tmp_path / "full"
    (full / "something").mkdir(parents=True)
    _one_line_error(invoke("clone", str(shared.remote), str(full)), f"{full} already exists and is not an empty",
                    "NEW_DIR")
    plain = tmp_path / "plain.git"
    git(tmp_path, "init", "-q", "--bare", str(plain))
    _one_line_error(invoke("clone", str(plain), str(tmp_path / "b")), "is not a gitdgm archive",
                    "no dgm/ branches", "`gitdgm init`")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_clone_into_the_urls_name_like_git(shared: Shared, tmp_path: Path) -> None:
    assert default_directory("https://example.org/me/my-archive.git/") == "my-archive"
    assert default_directory("git@example.org:me/runs.git") == "runs"
    assert default_directory("/srv/archives/dgm/.git") == "dgm"
    result = run_script("clone", str(shared.remote), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "remote" / "gitdgm.toml").is_file() and "Cloned" in result.stdout
