"""Records as TOML notes in refs/notes/dgm: fan-out layout, plain-git interop, concurrent writers, bad notes."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from archive_helpers import add_child, evaluated, git, invoke, new_archive, run_script

from support import synthetic
from gitdgm.archive import Archive
from gitdgm.archive.record import Record, RecordError, summarise, summary_of

FANOUT = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{38}$")


def _note_paths(repo: Path) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", "refs/notes/dgm").split()


def test_gitdgm_writes_notes_in_fanout_that_plain_git_reads(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    children = [add_child(archive, seed, f"child {i}", {f"f{i}.py": f"X = {i}\n"}, score=i / 20, work=tmp_path)
                for i in range(12)]
    paths = _note_paths(archive.path)
    assert len(paths) == 13 and all(FANOUT.match(p) for p in paths)
    listed = dict(line.split()[::-1] for line in git(archive.path, "notes", "--ref=dgm", "list").splitlines())
    assert set(listed) == {seed, *children}
    for i, child in enumerate(children):
        assert tomllib.loads(git(archive.path, "notes", "--ref=dgm", "show", child))["score"] == i / 20


def test_flat_notes_from_plain_git_are_read_and_moved_into_the_fanout(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    child = archive.create_agent_commit(str(archive.repo[seed].tree_id), seed, "Hand-made agent")
    archive.set_branch(child)
    note = f'schema = 1\nstatus = "evaluated"\nparent = "{seed[:12]}"\ngeneration = 1\nscore = 0.75\n'
    git(archive.path, "notes", "--ref=dgm", "add", "-m", note, child)
    assert child in _note_paths(archive.path)  # plain git wrote it flat

    agent = Archive(archive.path).load().agents[child[:12]]
    assert (agent.status, agent.score, agent.parent) == ("evaluated", 0.75, seed[:12])

    record = archive.read_record(child)
    record.data["score"] = 0.5
    archive.write_record(child, record)
    paths = _note_paths(archive.path)
    assert child not in paths and f"{child[:2]}/{child[2:]}" in paths
    assert len([p for p in paths if p.replace("/", "") == child]) == 1
    assert tomllib.loads(git(archive.path, "notes", "--ref=dgm", "show", child))["score"] == 0.5
    assert Archive(archive.path).load().agents[child[:12]].score == 0.5


def test_unknown_keys_survive_a_rewrite(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    note = textwrap.dedent("""\
        schema = 1
        status = "evaluated"
        generation = 0
        score = 0.25
        from_the_future = "kept"

        [lab]
        notebook = [1, 2, 3]
        """)
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", note, seed)
    record = archive.read_record(seed)
    record.data["score"] = 0.5
    archive.write_record(seed, record)
    data = tomllib.loads(git(archive.path, "notes", "--ref=dgm", "show", seed))
    assert data["from_the_future"] == "kept" and data["lab"] == {"notebook": [1, 2, 3]}
    assert data["score"] == 0.5 and "updated_at" in data


_WRITER = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from gitdgm.archive import Archive
    from gitdgm.archive.record import Record

    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    archive = Archive(path)
    empty = str(archive.repo.TreeBuilder().write())
    commits = [archive.create_agent_commit(empty, None, f"{name} {i}") for i in range(count)]
    Path(path, f"ready-{name}").touch()
    while not Path(path, "go").exists():
        time.sleep(0.001)
    for commit in commits:
        archive.write_record(commit, Record.new(status="pending", parent=None, generation=0, writer=name))
    print("\\n".join(commits))
    """)


def test_two_processes_writing_300_notes_each_keep_all_600(tmp_path: Path) -> None:
    repo = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(repo), name, "300"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    try:
        deadline = time.monotonic() + 60
        while not all((repo / f"ready-{n}").exists() for n in ("a", "b")):
            assert time.monotonic() < deadline and all(w.poll() is None for w in writers), "a writer died"
            time.sleep(0.01)
        (repo / "go").touch()
        outputs = [w.communicate(timeout=120) for w in writers]
    finally:
        for w in writers:
            w.kill()
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in outputs]
    written = {name: out.split() for name, (out, _) in zip(("a", "b"), outputs)}
    assert len(written["a"]) == len(written["b"]) == 300
    listed = git(repo, "notes", "--ref=dgm", "list").splitlines()
    assert len(listed) == 600
    notes = dict(Archive(repo).records.items())
    for name, commits in written.items():
        for commit in commits:
            assert tomllib.loads(notes[commit].decode())["writer"] == name
    history = int(git(repo, "rev-list", "--count", "refs/notes/dgm").strip())
    assert history == 600  # one notes commit per write, none lost or squashed


def _break_notes(tmp_path: Path) -> tuple[Archive, str, str, str]:
    archive, seed = new_archive(tmp_path)
    archive.write_record(seed, evaluated(None, 0, 0.3))
    good = add_child(archive, seed, "Good child", {"a.py": "A = 1\n"}, score=0.5, work=tmp_path)
    corrupt = add_child(archive, seed, "Corrupt note", {"b.py": "B = 1\n"}, work=tmp_path)
    future = add_child(archive, seed, "Future note", {"c.py": "C = 1\n"}, work=tmp_path)
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", "status = [this is not toml", corrupt)
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", 'schema = 99\nstatus = "evaluated"', future)
    return archive, good, corrupt, future


def test_corrupt_and_future_notes_are_warned_about_by_id_and_skipped(tmp_path: Path) -> None:
    archive, good, corrupt, future = _break_notes(tmp_path)
    result = invoke("ls", "-C", str(archive.path))
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("gitdgm: warning: agent ") for w in warnings)
    assert any(corrupt[:12] in w and "not a TOML note" in w for w in warnings)
    assert any(future[:12] in w and "schema 99" in w for w in warnings)
    assert any("git notes --ref=dgm edit" in w for w in warnings)  # each names its fix
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "evaluated" in rows[good[:12]] and "unreadable" in rows[corrupt[:12]]  # listed, never as pending
    snapshot = archive.load()
    assert good[:12] in snapshot.agents and len(snapshot.warnings) == 2
    assert snapshot.agents[corrupt[:12]] not in snapshot.pending()  # a step would not evaluate it and overwrite it


def test_bad_notes_through_the_console_script(tmp_path: Path) -> None:
    archive, good, corrupt, _ = _break_notes(tmp_path)
    done = run_script("ls", "--json", cwd=archive.path)
    assert done.returncode == 0 and "Traceback" not in done.stdout + done.stderr
    assert f"agent {corrupt[:12]}" in done.stderr
    assert good[:12] in done.stdout


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe", "not a TOML note"),
    (b'schema = 1\nstatus = "sleeping"', "status 'sleeping'"),
    (b'schema = 1\nstatus = "evaluated"\nscore = "high"', "field 'score'"),
    (b'status = "evaluated"', "unknown note schema None"),
])
def test_records_refuse_what_they_cannot_read(raw: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=re.escape(message)):
        Record.parse(raw)


def test_record_round_trip_drops_none_and_keeps_types() -> None:
    record = Record.new(status="evaluated", parent=None, generation=3, score=0.5, tasks={"t": {"outcome": "ok"}},
                        model=None)
    again = Record.parse(record.dumps())
    assert again.data["parent"] == "" and "model" not in again.data
    assert (again.status, again.score, again.generation, again.tasks) == ("evaluated", 0.5, 3, {"t": {"outcome": "ok"}})


@pytest.mark.parametrize("raw", [
    synthetic._record(random.Random(1), "a" * 40, 4, 0.62).dumps(),
    synthetic._record(random.Random(2), "b" * 40, 9, None).dumps(),
    b'schema = 1\nstatus = "evaluated"\nscore = 0.5\nnote = """\n[tasks.fake]\nx = 1\n"""\n[creation]\ncost_usd = 2\n',
    b'schema = 1\nstatus = "evaluated"\n[tasks.t]\nlines = [\n[1, 2],\n]\n[evaluation]\ncost_usd = 1.5\nscore = 1\n',
    Record.new(status="evaluated", parent="c" * 12, generation=2, score=0.25, selection={"policy": "dgm", "seed": 7},
               diagnosis={"entry": "t", "problem_description": "a\n[tasks.x]\nb"}, creation={"cost_usd": 0.5},
               evaluation={"cost_usd": 1.25, "shards": {"1/2": "done"}}, tasks={"t": {"outcome": "resolved"}}).dumps(),
])
def test_the_fast_summary_equals_the_full_parse(raw: bytes) -> None:
    assert summary_of(raw) == summarise(Record.parse(raw))


def test_a_bad_task_table_is_reported_when_the_record_is_read(tmp_path: Path) -> None:
    archive, seed = new_archive(tmp_path)
    child = add_child(archive, seed, "Bad tasks", {"a.py": "A = 1\n"}, status="pending", work=tmp_path)
    bad = 'schema = 1\nstatus = "evaluated"\ngeneration = 1\nscore = 0.5\n\n[tasks.t]\nx = [broken\n'
    git(archive.path, "notes", "--ref=dgm", "add", "-f", "-m", bad, child)
    with pytest.raises(RecordError):
        Record.parse(bad.encode())
    listed = invoke("ls", "-C", str(archive.path), "--json")
    assert listed.exit_code == 0 and child[:12] in listed.stdout  # listing reads only the summary
    shown = invoke("show", "-C", str(archive.path), child[:12])
    assert shown.exit_code == 1 and shown.stderr.count("\n") == 1
    assert f"agent {child[:12]}: its note in refs/notes/dgm is not a gitdgm record" in shown.stderr


@pytest.mark.parametrize("raw", [b"\xff\xfe", b'schema = 1\nstatus = "sleeping"\n[tasks.t]\nx = 1\n', b"schema = [1"])
def test_the_fast_summary_refuses_a_bad_note(raw: bytes) -> None:
    with pytest.raises(RecordError):
        summary_of(raw)
