"""Bad input to the archive commands: one line on stderr, a meaningful exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from archive_helpers import add_child, evaluated, git, invoke, new_archive, run_script
from click.testing import Result

from gitdgm.archive import Archive


def _one_line_error(result: Result, *parts: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gitdgm: error: "), result.stderr
    for part in parts:
        assert part in lines[0]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive, seed = new_archive(tmp_path)
    archive.write_record(seed, evaluated(None, 0, 0.4))
    add_child(archive, seed, "A child", {"x.py": "X = 1\n"}, score=0.6, work=tmp_path)
    return archive


@pytest.mark.parametrize("command", [["ls"], ["tree"], ["select"], ["show", "abc"]])
def test_not_a_git_repository(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(invoke(*command, "-C", str(empty)), "not a git repository", str(empty), "gitdgm init")


@pytest.mark.parametrize("text, parts", [
    ('[selection]\nparents = "two"\n', ["gitdgm.toml", "selection.parents", "must be int"]),
    ('[selection]\npolicyy = "dgm"\n', ["gitdgm.toml", "unknown key 'selection.policyy'", "'policy'"]),
    ('[selection]\npolicy = "hgm2"\n', ["gitdgm.toml", "selection.policy", "'hgm2'", "dgm, hgm, latest, best, random"]),
])
def test_a_bad_gitdgm_toml(archive: Archive, text: str, parts: list[str]) -> None:
    (archive.path / "gitdgm.toml").write_text(text)
    _one_line_error(invoke("select", "-C", str(archive.path)), *parts)


def test_a_bad_gitdgm_toml_committed_in_a_bare_archive(archive: Archive, tmp_path: Path) -> None:
    (archive.path / "gitdgm.toml").write_text('[selection]\npolicy = "hgm2"\n')
    git(archive.path, "commit", "-q", "-am", "try another policy")
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(archive.path), str(bare))
    _one_line_error(invoke("select", "-C", str(bare)), "gitdgm.toml", "dgm, hgm, latest, best, random")


def test_an_unknown_agent(archive: Archive) -> None:
    _one_line_error(invoke("show", "-C", str(archive.path), "no-such-agent"), "unknown agent 'no-such-agent'")
    _one_line_error(invoke("show", "-C", str(archive.path), "main"), "not an agent")


def test_an_archive_whose_seed_is_missing(archive: Archive) -> None:
    seed = archive.load().seed()
    git(archive.path, "branch", "-D", f"dgm/{seed.id}")
    git(archive.path, "notes", "--ref=dgm", "remove", seed.commit)
    for command in (["ls"], ["tree"], ["select"]):
        _one_line_error(invoke(*command, "-C", str(archive.path)), "seed agent is missing")


def test_errors_through_the_console_script(archive: Archive, tmp_path: Path) -> None:
    for args, cwd, code, text in [
        (["ls"], tmp_path, 1, "not a git repository"),
        (["show", "nope"], archive.path, 1, "unknown agent"),
        (["ls", "--sort", "height"], archive.path, 2, "Invalid value"),
        (["init", str(archive.path), "--seed", str(tmp_path / "archive-seed")], tmp_path, 1, "already"),
    ]:
        done = run_script(*args, cwd=cwd)
        assert done.returncode == code, (args, done.stderr)
        assert text in done.stderr and "Traceback" not in done.stdout + done.stderr
    ok = run_script("ls", cwd=archive.path)
    assert ok.returncode == 0 and "A child" in ok.stdout and ok.stderr == ""


def test_debug_shows_the_traceback(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITDGM_DEBUG", "1")
    done = run_script("show", "nope", cwd=archive.path)
    assert done.returncode == 1 and "Traceback" in done.stderr and "unknown agent" in done.stderr
