"""The archive is a git repository: init, agents as commits, branches, notes, pending and duplicate agents."""

from __future__ import annotations

import filecmp
import io
import json
import subprocess
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from archive_helpers import (
    add_child,
    evaluated,
    git,
    invoke,
    make_agent_dir,
    new_archive,
)

from gitdgm.engine import selection

from support import synthetic
from gitdgm.archive import Archive
from gitdgm.config import SelectionConfig
from gitdgm.errors import ArchiveError
from gitdgm.archive.record import Record


# --- init -------------------------------------------------------------------------------------------------------
def test_init_makes_a_root_seed_commit_with_branch_and_plain_git_note(tmp_path: Path) -> None:
    result = invoke("init", str(tmp_path / "arch"), "--seed", str(make_agent_dir(tmp_path / "agent")))
    assert result.exit_code == 0, result.output
    arch = tmp_path / "arch"
    branches = git(arch, "for-each-ref", "--format=%(refname:short)", "refs/heads/dgm/").split()
    assert len(branches) == 1
    branch = branches[0]
    seed_id = branch.removeprefix("dgm/")
    assert f"seed agent {seed_id}" in result.stdout
    assert git(arch, "rev-list", "--parents", "-n", "1", branch).split() == [git(arch, "rev-parse", branch).strip()]
    assert git(arch, "show", f"{branch}:tiny.py") == 'print("tiny agent")\n'
    assert "agent.toml" in git(arch, "ls-tree", "--name-only", branch).split()

    note = tomllib.loads(git(arch, "notes", "--ref=dgm", "show", branch))
    assert note["schema"] == 1 and note["status"] == "pending" and note["generation"] == 0
    assert note["origin"] == "seed"
    log = git(arch, "log", "--notes=dgm", "-1", branch)
    assert "Notes (dgm):" in log and 'origin = "seed"' in log

    main_files = git(arch, "ls-tree", "-r", "--name-only", "main").split()
    assert set(main_files) == {"gitdgm.toml", ".github/workflows/gitdgm.yml"}
    assert git(arch, "status", "--porcelain") == ""


def test_init_adopts_a_repository_and_keeps_its_commits(tmp_path: Path) -> None:
    repo = tmp_path / "existing"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("my experiment\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "my own commit")
    mine = git(repo, "rev-parse", "HEAD").strip()

    assert invoke("init", str(repo), "--seed", str(make_agent_dir(tmp_path / "agent"))).exit_code == 0
    assert git(repo, "rev-parse", "HEAD~1").strip() == mine
    assert git(repo, "show", "main:README.md") == "my experiment\n"
    assert "gitdgm.toml" in git(repo, "ls-tree", "--name-only", "main").split()
    seed = git(repo, "for-each-ref", "--format=%(objectname)", "refs/heads/dgm/").strip()
    assert subprocess.run(["git", "merge-base", "--is-ancestor", mine, seed], cwd=repo, check=False).returncode == 1


def test_init_twice_is_a_one_line_error(tmp_path: Path) -> None:
    agent = make_agent_dir(tmp_path / "agent")
    assert invoke("init", str(tmp_path / "arch"), "--seed", str(agent)).exit_code == 0
    result = invoke("init", str(tmp_path / "arch"), "--seed", str(agent))
    assert result.exit_code == 1
    assert "already a gitdgm archive" in result.stderr and result.stderr.strip().count("\n") == 0
    assert len(git(tmp_path / "arch", "for-each-ref", "refs/heads/dgm/").splitlines()) == 1


def test_init_a_bare_repository(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    assert invoke("init", str(bare), "--seed", str(make_agent_dir(tmp_path / "agent"))).exit_code == 0
    assert "[selection]" in git(bare, "show", "main:gitdgm.toml")
    assert git(bare, "cat-file", "-t", "main:.github/workflows/gitdgm.yml").strip() == "blob"
    (branch,) = git(bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/dgm/").split()
    assert tomllib.loads(git(bare, "notes", "--ref=dgm", "show", branch))["status"] == "pending"
    rows = json.loads(invoke("ls", "-C", str(bare), "--json").stdout)
    assert [r["id"] for r in rows] == [branch.removeprefix("dgm/")]


# --- a hand-made family -----------------------------------------------------------------------------------------
@dataclass
class Family:
    archive: Archive
    seed: str
    a: str  # child of seed, 0.6
    b: str  # child of seed, 0.4
    c: str  # child of a, 0.8: the best


@pytest.fixture
def family(tmp_path: Path) -> Family:
    archive, seed = new_archive(tmp_path)
    archive.write_record(seed, evaluated(None, 0, 0.3, origin="seed"))
    a = add_child(archive, seed, "Add a retry loop", {"tiny.py": 'print("retry")\n'},
                  body="The agent gives up after one failed command.\nRetry it.", score=0.6, work=tmp_path)
    b = add_child(archive, seed, "Add notes file", {"notes.md": "hello\n"}, score=0.4, work=tmp_path)
    c = add_child(archive, a, "Better retries", {"tiny.py": 'print("retry twice")\n'}, score=0.8, work=tmp_path)
    return Family(archive, seed, a, b, c)


def _rows(archive: Archive) -> dict[str, dict]:
    result = invoke("ls", "-C", str(archive.path), "--json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_ls_shows_parent_generation_score_and_children(family: Family) -> None:
    rows = _rows(family.archive)
    seed, a, b, c = (r[:12] for r in (family.seed, family.a, family.b, family.c))
    assert set(rows) == {seed, a, b, c}
    assert (rows[seed]["parent"], rows[seed]["generation"], rows[seed]["children"]) == (None, 0, 2)
    assert (rows[a]["parent"], rows[a]["generation"], rows[a]["score"], rows[a]["children"]) == (seed, 1, 0.6, 1)
    assert (rows[b]["parent"], rows[b]["generation"], rows[b]["score"], rows[b]["children"]) == (seed, 1, 0.4, 0)
    assert (rows[c]["parent"], rows[c]["generation"], rows[c]["score"]) == (a, 2, 0.8)
    assert rows[c]["ref"] == f"refs/heads/dgm/{c}" and rows[c]["status"] == "evaluated"
    table = invoke("ls", "-C", str(family.archive.path), "--sort", "score").stdout
    lines = [line.split() for line in table.splitlines()[1:]]
    assert [line[0] for line in lines] == [c, a, b, seed]
    assert lines[0][:5] == [c, a, "2", "0.800", "0"]


def test_show_prints_problem_statement_record_and_diff(family: Family) -> None:
    a = family.a[:12]
    data = json.loads(invoke("show", "-C", str(family.archive.path), f"dgm/{a}", "--json").stdout)
    assert data["id"] == a and data["subject"] == "Add a retry loop"
    assert data["problem_statement"] == "The agent gives up after one failed command.\nRetry it."
    assert data["trailers"]["Gitdgm-Parent"] == family.seed[:12]
    assert data["record"]["score"] == 0.6 and data["record"]["resolved"] == 6
    assert '-print("tiny agent")' in data["diff"] and '+print("retry")' in data["diff"]
    text = invoke("show", "-C", str(family.archive.path), a).stdout
    assert "Add a retry loop" in text and "Retry it." in text and '+print("retry")' in text
    assert "Gitdgm-Nonce" not in data["problem_statement"]


def test_tree_marks_the_path_to_the_best_agent(family: Family) -> None:
    text = invoke("tree", "-C", str(family.archive.path)).stdout
    marked = {line.split("★ ")[1].split()[0] for line in text.splitlines() if "★ " in line}
    assert marked == {family.seed[:12], family.a[:12], family.c[:12]}
    assert family.b[:12] in text


def test_reject_moves_an_agent_out_of_branches_and_selection(family: Family) -> None:
    archive, b = family.archive, family.b
    archive.move_to_rejected(b)
    branches = git(archive.path, "branch", "--list").split()
    assert f"dgm/{b[:12]}" not in branches and f"dgm/{family.a[:12]}" in branches
    assert git(archive.path, "rev-parse", f"refs/dgm/rejected/{b[:12]}").strip() == b
    assert _rows(archive)[b[:12]]["status"] == "rejected"
    snapshot = archive.load()
    assert b[:12] not in {c.id for c in selection.candidates(snapshot)}
    assert {c.id: c.children for c in selection.candidates(snapshot)}[family.seed[:12]] == 1  # admitted ones
    picked = json.loads(invoke("select", "-C", str(archive.path), "-k", "50", "--seed", "1", "--json").stdout)
    assert b[:12] not in picked["parents"] and b[:12] not in {c["id"] for c in picked["candidates"]}
    archive.set_branch(b)  # re-admitting drops the rejected ref
    assert git(archive.path, "for-each-ref", "refs/dgm/rejected/") == ""


def test_a_plain_git_cherry_pick_is_a_pending_agent_on_the_agent_it_was_picked_onto(family: Family,
                                                                                   tmp_path: Path) -> None:
    archive = family.archive
    work = tmp_path / "pick"
    git(archive.path, "worktree", "add", "-q", str(work), f"dgm/{family.b[:12]}")
    git(work, "cherry-pick", family.a)  # a's retry loop onto b
    picked = git(work, "rev-parse", "HEAD").strip()
    assert git(work, "show", "HEAD:tiny.py") == 'print("retry")\n'

    snapshot = Archive(archive.path).load()
    agent = snapshot.agents[picked[:12]]
    assert (agent.status, agent.parent, agent.ref) == ("pending", family.b[:12], f"refs/heads/dgm/{family.b[:12]}")
    assert [p.id for p in snapshot.pending()] == [picked[:12]]
    assert snapshot.generation_of(agent) == 2
    assert snapshot.agents[family.b[:12]].status == "evaluated"  # still an agent, through its note
    assert _rows(archive)[picked[:12]]["status"] == "pending"


def test_an_identical_tree_is_a_duplicate_of_the_evaluated_agent(family: Family, tmp_path: Path) -> None:
    archive = family.archive
    tree_a = str(archive.repo[family.a].tree_id)
    twin = archive.create_agent_commit(tree_a, family.seed, "Add a retry loop", "same change again")
    assert twin != family.a
    archive.set_branch(twin)
    snapshot = archive.load()
    assert snapshot.agents[twin[:12]].status == "pending"
    assert snapshot.duplicate_of(tree_a, exclude=twin[:12]).id == family.a[:12]
    other = make_agent_dir(tmp_path / "other")
    (other / "extra.py").write_text("X = 1\n")
    fresh = archive.tree_from_directory(other)
    assert snapshot.duplicate_of(fresh) is None
    assert snapshot.duplicate_of(tree_a, exclude=family.a[:12]) is None  # a pending twin is no cache hit


def test_resolve_by_id_branch_and_revision(family: Family) -> None:
    archive = family.archive
    archive.load()
    c = family.c[:12]
    assert archive.resolve(c).commit == family.c
    assert archive.resolve(f"dgm/{c}").commit == family.c
    assert archive.resolve(f"{family.c}").id == c
    assert archive.resolve(f"dgm/{c}~1").id == family.a[:12]
    with pytest.raises(ArchiveError, match="not an agent"):
        archive.resolve("main")
    with pytest.raises(ArchiveError, match="unknown agent"):
        archive.resolve("no-such-agent")


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="not a git repository"):
        Archive(tmp_path)


# --- materialising ----------------------------------------------------------------------------------------------
def _git_archive(repo: Path, commit: str, dest: Path) -> Path:
    data = subprocess.run(["git", "archive", "--format=tar", commit], cwd=repo, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _same_files(left: Path, right: Path) -> None:
    files = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(left, right, files, shallow=False)
    assert mismatch == [] and errors == []


def test_materialise_a_deep_agent_writes_its_whole_tree(tmp_path: Path) -> None:
    stats = synthetic.build(tmp_path / "synth.git", 60, max_depth=40, seed=3)
    assert stats.max_depth >= 10
    archive = Archive(tmp_path / "synth.git")
    out = archive.materialise(stats.deepest, tmp_path / "deep")
    expected = _git_archive(tmp_path / "synth.git", stats.deepest, tmp_path / "expected")
    _same_files(out, expected)
    assert len(list(out.rglob("*.py"))) == synthetic.FILES
    assert not (out / ".git").exists()
    shallow = archive.materialise(stats.shallowest, tmp_path / "shallow")
    assert (shallow / "agent.toml").read_bytes() == (out / "agent.toml").read_bytes()
    differs = [p for p in out.rglob("*.py") if p.read_bytes() != (shallow / p.relative_to(out)).read_bytes()]
    assert differs, "the deep agent should differ from a depth-1 agent"


def test_a_synthetic_archive_is_consistent(tmp_path: Path) -> None:
    stats = synthetic.build(tmp_path / "synth.git", 40, max_depth=10, seed=1)
    snapshot = Archive(tmp_path / "synth.git").load()
    assert len(snapshot.agents) == 40 and snapshot.warnings == []
    deepest = snapshot.agents[stats.deepest[:12]]
    assert snapshot.generation_of(deepest) == stats.max_depth
    for agent in snapshot.agents.values():
        if agent.parent is not None:
            assert agent.id in snapshot.agents[agent.parent].children
            assert agent.record.generation == snapshot.generation_of(agent)
    rejected = [a for a in snapshot.agents.values() if a.status == "rejected"]
    assert all(a.ref.startswith("refs/dgm/rejected/") for a in rejected)
    cands = selection.candidates(snapshot)
    assert {c.id for c in cands} == {a.id for a in snapshot.agents.values() if a.status == "evaluated"}
    assert selection.choose(cands, 3, SelectionConfig(), 5) == selection.choose(cands, 3, SelectionConfig(), 5)


def test_show_says_why_an_agent_was_rejected(family: Family) -> None:
    archive, b = family.archive, family.b
    archive.move_to_rejected(b)
    archive.update_record(b, lambda r: Record(r.data | {"status": "rejected", "reason": "its own tests fail"}),
                          "reject")
    text = invoke("show", "-C", str(archive.path), b[:12]).stdout
    assert "(rejected)" in text and "reason its own tests fail" in text
    assert "reason" not in invoke("show", "-C", str(archive.path), family.a[:12]).stdout.split("\n\n")[0]
