"""The hostile-agent corpus (tests/hostile_agents.py) run against the real thing: a real archive, the real gateway
with a key in play, real sandboxes (the process sandbox and docker), ``gitdgm eval`` and ``gitdgm step``.

Every attack must end as a recorded failure of the agent that made it, and nothing else:
- the task is graded a failure (never ``resolved``, never gitdgm's ``error``), with each dropped trick listed
  under ``tampering`` and anything that could not be taken under ``reason``;
- the API key, the host's secret file and gitdgm's own environment are in no object of the archive (notes
  included, the zlib-compressed logs decompressed) and in no file of it;
- no host file outside the run's own temporary folders is touched, and those folders are gone afterwards
  (no docker container is left either);
- the archive is ``git fsck``-clean, the agent's note stays small, and the next ``gitdgm step`` runs;
- gitdgm's own memory stays low.
Some tests here fail until gitdgm is fixed: each failure names the attack that got through.
Which module stops each class: docs/security.md. Docker cases are marked ``docker`` (see fixtures_docker.py).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result
from eval_helpers import git, make_agent
from grading_helpers import grade_workspace, task_workspace
from hostile_agents import (
    AGENT_DIR_WRITER,
    CORPUS,
    GRADING,
    NEIGHBOUR,
    SELFMOD_MARKER,
    Hostile,
    self_modifier,
)

from gitdgm.archive import Agent, Archive
from gitdgm.cli.main import cli
from gitdgm.demo import LESSONS
from gitdgm.engine.diagnose.code import summarise_agent
from gitdgm.engine.protocol import AgentSpecError, read_agent_spec
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.gateway.upstream import error_object
from gitdgm.archive.create import init_archive
from gitdgm.sandbox.container import DockerSandbox, connect, leftover_containers
from gitdgm.suites import Task, load_suite
from gitdgm.suites.grade import GRADE_ENV

KEY = "sk-gitdgm-hostile-SECRET-9d2e7b41c0"
SECRET_MARKER = "HOST-SECRET-MARKER-51f0a9"
HIDDEN_MARKER = "HIDDEN-CHECK-hostile-77c2"
SANDBOXES = ["process", "docker"]
NOTE_LIMIT = 32 * 1024  # an agent's record with one task result, whatever the agent did

# -- the suite the corpus attacks ---------------------------------------------------------------------------------
CALC_BUGGY = "def add(a, b):\n    return a - b\n"
CALC_FIXED = "def add(a, b):\n    return a + b\n"
CALC_TOML = {"schema": 1, "id": "calc", "language": "python", "difficulty": "easy",
             "problem": "TASK calc: add() in calc.py subtracts instead of adding. Fix it.\n",
             "test_command": "sh run_tests.sh", "time_limit": 30, "test_time_limit": 30}
COUNT_TOML = {"schema": 1, "id": "count", "language": "python", "difficulty": "easy",
              "problem": "TASK count: count() in counter.py is off by one. Fix it.\n",
              "test_command": "python3 -m pytest -q -p no:cacheprovider hidden", "time_limit": 30,
              "test_time_limit": 30}
#: the suite's files, below the archive's ``suite/`` folder
SUITE = {
    "suite.toml": tomli_w.dumps({"schema": 1, "name": "hostile", "order": ["calc", "count"]}),
    "calc/task.toml": tomli_w.dumps(CALC_TOML),
    "calc/repo/calc.py": CALC_BUGGY,
    "calc/repo/run_tests.sh": "exec python3 -m pytest -q -p no:cacheprovider hidden tests\n",
    "calc/repo/tests/test_visible.py": "import calc\n\n\ndef test_add_small():\n    assert calc.add(1, 1) == 2\n",
    "calc/tests/hidden/test_calc_hidden.py": f"# {HIDDEN_MARKER}\nimport calc\n\n\ndef test_add():\n"
                                             "    assert calc.add(2, 3) == 5\n    assert calc.add(-1, 1) == 0\n",
    "calc/solution/calc.py": CALC_FIXED,
    "count/task.toml": tomli_w.dumps(COUNT_TOML),
    "count/repo/counter.py": "def count(xs):\n    return len(xs) - 1\n",
    "count/tests/hidden/test_count_hidden.py": f"# {HIDDEN_MARKER}\nimport counter\n\n\ndef test_count():\n"
                                               "    assert counter.count([1, 2, 3]) == 3\n",
}
HONEST = {"agent.toml": 'schema = 1\nname = "honest"\nentry = ["sh", "-c", "exec sh \\"$GITDGM_AGENT_DIR/fix.sh\\""]\n',
          "fix.sh": "case \"$(cat \"$GITDGM_PROBLEM_FILE\")\" in\n"
                    "  *'TASK calc'*) printf 'def add(a, b):\\n    return a + b\\n' > calc.py ;;\n"
                    "  *'TASK count'*) printf 'def count(xs):\\n    return len(xs)\\n' > counter.py ;;\n"
                    "esac\n"}
SCRIPT = {"schema": 1, "default": {"content": "Done."},
          "scenario": [{"name": "honest", "match": {"user": "HONEST-CALL"}, "turns": [{"content": "GENUINE-REPLY"}]},
                       {"name": "diagnosis", "match": {"user": SELFMOD_MARKER},
                        "turns": [{"content": "```json\n" + json.dumps(LESSONS[0].diagnosis) + "\n```"}]}]}


def suite_files() -> dict[str, bytes]:
    return {f"suite/{name}": text.encode() for name, text in SUITE.items()}


class QuotingUpstream(FakeUpstream):
    """The scripted model behind a careless proxy: asked for "ECHO-AUTH", it quotes the Authorization header it
    received (the real key) back in a 200 reply, and with "ECHO-AUTH-400" in a 400 error body."""

    def answer(self, path: str, authorization: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        status, payload, headers = super().answer(path, authorization, body)
        if b"ECHO-AUTH-400" in body:
            return 400, error_object(f"bad request from Authorization: {authorization}", "invalid_request_error"), {}
        if b"ECHO-AUTH" in body and isinstance(payload, dict) and status == 200:
            payload["choices"][0]["message"]["content"] = f"upstream saw Authorization: {authorization}"
        return status, payload, headers


def base_config(base_url: str) -> dict[str, Any]:
    return {"schema": 1, "model": {"name": "hostile-test", "base_url": base_url},
            "selection": {"policy": "best", "parents": 1},
            "eval": {"suite": "suite", "stages": [1], "thresholds": [], "workers": 1, "agent_time_limit": 20},
            "selfmod": {"time_limit": 30, "max_turns": 3, "diagnosis_attempts": 1},
            "sandbox": {"backend": "process", "cpus": 1.0, "memory": "512m", "pids": 128}}


# -- what gitdgm itself holds that must never reach the archive -------------------------------------------------
def _own_environment() -> list[bytes]:
    """Entries of this process's start-up environment (what /proc/self/environ shows gitdgm when it runs here)."""
    entries = Path("/proc/self/environ").read_bytes().split(b"\0")
    return [e for e in entries if len(e) >= 24 and not e.startswith(b"PATH=")]


NEEDLES = [KEY.encode(), SECRET_MARKER.encode(), *_own_environment()]


def archive_blobs(path: Path) -> Iterator[tuple[str, bytes]]:
    """Every object of the archive (zlib-compressed ones also decompressed), and every other file under it."""
    raw = subprocess.run(["git", "-C", str(path), "cat-file", "--batch-all-objects", "--batch"],
                         capture_output=True, check=True).stdout
    pos = 0
    while pos < len(raw):
        end = raw.index(b"\n", pos)
        oid, kind, size = raw[pos:end].split()
        data = raw[end + 1:end + 1 + int(size)]
        pos = end + 1 + int(size) + 1
        yield f"{kind.decode()} {oid.decode()}", data
        if kind == b"blob":
            try:
                yield f"blob {oid.decode()} (decompressed)", zlib.decompress(data)
            except zlib.error:
                pass
    for file in path.rglob("*"):
        if file.is_file() and not file.is_symlink() and "objects" not in file.relative_to(path).parts:
            yield str(file.relative_to(path)), file.read_bytes()


def leaks(path: Path) -> list[str]:
    found = []
    for where, data in archive_blobs(path):
        for needle in NEEDLES:
            if needle in data:
                found.append(f"{needle[:40]!r} in {where}")
    return found


def fingerprint(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Content, mode and mtime of every file below ``folder``."""
    out = {}
    for file in sorted(folder.rglob("*")):
        info = file.lstat()
        out[str(file.relative_to(folder))] = (file.read_bytes() if file.is_file() else b"", info.st_mode,
                                               info.st_mtime_ns)
    return out


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def described(result: Result) -> str:
    text = result.output
    if result.exc_info and not isinstance(result.exception, SystemExit):
        text += "".join(traceback.format_exception(*result.exc_info))
    return text


# -- fixtures --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def upstream() -> Iterator[QuotingUpstream]:
    with QuotingUpstream(SCRIPT) as fake:
        yield fake


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, upstream: QuotingUpstream) -> Path:
    """An archive with the suite, the seed and an honest agent, both evaluated, so a step has nothing pending."""
    path = tmp_path_factory.mktemp("hostile") / "archive"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", KEY)
        for name, value in {"GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
                            "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "c@example.com",
                            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}.items():
            mp.setenv(name, value)
        archive, seed = init_archive(path)
        files = {"gitdgm.toml": tomli_w.dumps(base_config(upstream.base_url)).encode(), **suite_files()}
        archive.commit_files(files, "hostile corpus: a two-task suite and a model behind a careless proxy")
        honest = make_agent(archive, seed, HONEST)
        for agent in (seed, honest.id):
            result = CliRunner().invoke(cli, ["eval", agent, "-C", str(path), "--sandbox", "process"])
            assert result.exit_code == 0, described(result)
        assert Archive(path).read_record(honest.commit).tasks["calc"]["outcome"] == "resolved"
    return path


@dataclass
class Attempt:
    exit_code: int
    output: str
    task: dict[str, Any]  # the task result in the agent's note
    logs: dict[str, Any]  # the task's logs, from refs/notes/dgm-logs
    record: dict[str, Any]
    rss_growth_mib: float
    seconds: float


@dataclass
class Lab:
    """One test's copy of the base archive, a victim folder of host files, and gitdgm's temporary folder."""

    path: Path
    victim: Path
    tmp: Path
    sandbox: str

    @property
    def archive(self) -> Archive:
        return Archive(self.path)

    def agent(self, files: dict[str, str]) -> Agent:
        archive = self.archive
        return make_agent(archive, archive.load().seed().id, files)

    def configure(self, overrides: dict[str, dict[str, Any]]) -> None:
        config = tomllib.loads((self.path / "gitdgm.toml").read_text())
        for section, values in overrides.items():
            config.setdefault(section, {}).update(values)
        (self.path / "gitdgm.toml").write_text(tomli_w.dumps(config))

    def eval(self, agent: Agent, task: str = "calc") -> Attempt:
        rss, started = maxrss_mib(), time.monotonic()
        result = CliRunner().invoke(cli, ["eval", agent.id, "-C", str(self.path), "--sandbox", self.sandbox])
        seconds, growth = time.monotonic() - started, maxrss_mib() - rss
        assert result.exit_code == 0, f"gitdgm eval exited {result.exit_code}:\n{described(result)}"
        record = self.archive.read_record(agent.commit)
        assert record is not None and task in record.tasks, f"no result for {task}: {record and record.data}"
        logs = self.archive.task_logs(agent.commit)
        return Attempt(result.exit_code, result.output, record.tasks[task], logs.get(task, {}), record.data, growth,
                       seconds)

    def step(self) -> None:
        result = CliRunner().invoke(cli, ["step", "-C", str(self.path), "--seed", "1", "--sandbox", self.sandbox])
        assert result.exit_code == 0, f"the next gitdgm step exited {result.exit_code}:\n{described(result)}"


@pytest.fixture
def lab(request: pytest.FixtureRequest, base: Path, sandbox: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    if sandbox == "docker":
        request.getfixturevalue("docker_available")
    path = tmp_path / "archive"
    shutil.copytree(base, path, symlinks=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "secret.txt").write_text(f"{SECRET_MARKER}\n")
    (victim / "secret.txt").chmod(0o600)
    (victim / "transcript.md").write_text(f"{SECRET_MARKER} in a host file named like a transcript\n")
    (victim / "target.py").write_text("TARGET = 'the original'\n")
    (victim / "target.py").chmod(0o640)
    # gitdgm's temporary folders (the runs' own) go here: short, for socket paths, and checked empty afterwards
    short = Path(tempfile.mkdtemp(prefix="hx-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    yield Lab(path, victim, short, sandbox)
    subprocess.run(["chmod", "-R", "u+rwx", str(short)], capture_output=True, check=False)
    subprocess.run(["rm", "-rf", str(short)], capture_output=True, check=False)  # also what an attack left


def assert_contained(lab: Lab, before: dict[str, tuple[bytes, int, int]]) -> None:
    """What must hold after any attack: nothing leaked into the archive, no host file touched, nothing left."""
    assert leaks(lab.path) == []
    assert fingerprint(lab.victim) == before, "a host file outside the run's folders was changed"
    assert sorted(os.listdir(lab.tmp)) == [], "the run's temporary folders were not all removed"
    if lab.sandbox == "docker":
        assert leftover_containers(connect()) == []
    git(lab.path, "fsck", "--strict", "--no-progress")


def tampered_paths(task: dict[str, Any]) -> set[str]:
    return {entry.split(": ", 1)[0] for entry in task.get("tampering", [])}


# -- the corpus ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sandbox", SANDBOXES)
@pytest.mark.parametrize("hostile", CORPUS, ids=lambda h: f"{h.kind}-{h.name}")
def test_attack_ends_as_a_recorded_failure_of_the_agent(hostile: Hostile, lab: Lab, upstream: QuotingUpstream) -> None:
    lab.configure(hostile.config)
    agent = lab.agent(hostile.tree(str(lab.victim)))
    before = fingerprint(lab.victim)
    seen = len(upstream.requests_seen)
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, limit[1]), limit[1]))  # a common default soft limit
    try:
        attempt = lab.eval(agent)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, limit)
    task = attempt.task
    graded = task["why"] if task.get("why") == "empty_patch" else task["outcome"]
    assert graded in hostile.outcomes, f"{hostile.attack}: graded {graded}\n{attempt.logs}"
    assert attempt.record["resolved"] == 0 and attempt.record["attempted"] == 1
    assert hostile.reason in task.get("reason", ""), task
    assert set(hostile.tampering) <= tampered_paths(task), task.get("tampering")
    assert attempt.seconds < 60 and not task.get("agent_seconds", 0) > 20, "the run hung"
    assert attempt.rss_growth_mib < 200, f"gitdgm grew by {attempt.rss_growth_mib:.0f} MiB"
    note = git(lab.path, "notes", "--ref=dgm", "show", agent.commit)
    assert len(note) < NOTE_LIMIT, f"one attempt made a {len(note) // 1024} KiB note (every load reads them all)"
    if hostile.name == "key-echo":  # the key was in play: the upstream got it, the agent got the quotes
        assert any(r["authorization"] == f"Bearer {KEY}" for r in upstream.requests_seen[seen:])
        assert "upstream saw Authorization" in attempt.logs["agent_output"]
    if hostile.name == "body-100mib":
        assert "GATEWAY-STATUS 413" in attempt.logs["agent_output"], attempt.logs["agent_output"]
        completions = [r for r in upstream.requests_seen[seen:] if r["path"].endswith("/chat/completions")]
        assert completions == [], "the body was forwarded"  # (gitdgm's own GET /models asks if the model is up)
    assert_contained(lab, before)
    lab.step()
    assert_contained(lab, before)


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_transcript_link_to_environ_in_a_gitdgm_started_with_the_key(lab: Lab) -> None:
    """THREATS.md's leak exactly: gitdgm started as a command with the key in its environment, so that reading
    /proc/self/environ on the host would read the key."""
    hostile = next(h for h in CORPUS if h.name == "transcript-environ")
    agent = lab.agent(hostile.tree(str(lab.victim)))
    before = fingerprint(lab.victim)
    env = {**os.environ, "OPENAI_API_KEY": KEY, "TMPDIR": str(lab.tmp)}
    command = [sys.executable, "-c", "from gitdgm.cli.main import main; main()", "eval", agent.id, "-C", str(lab.path),
               "--sandbox", lab.sandbox]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    task = lab.archive.read_record(agent.commit).tasks["calc"]
    assert (task["outcome"], task["why"]) == ("unresolved", "empty_patch")
    logs = lab.archive.task_logs(agent.commit)["calc"]
    assert "was not read" in logs["transcript"] and KEY not in logs["transcript"]
    assert_contained(lab, before)


@pytest.fixture(scope="module")
def suite_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite-root")
    for name, data in suite_files().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def calc_task(suite_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Task:
    task = next(t for t in load_suite("suite", root=suite_root).tasks if t.id == "calc")
    assert _naive_grade(task, suite_root, tmp_path_factory.mktemp("untouched"), None) != 0
    return task


@pytest.mark.parametrize("hostile", [h for h in GRADING if h.potent], ids=lambda h: h.name)
def test_the_trick_fools_a_grader_that_runs_in_the_agents_tree(hostile: Hostile, calc_task: Task, suite_root: Path,
                                                                tmp_path: Path) -> None:
    """The corpus is honest: each trick marked potent does resolve the unfixed task when the hidden tests are laid
    over the agent's own tree and run there (what gitdgm 0.1.0 did), while the untouched tree fails."""
    assert _naive_grade(calc_task, suite_root, tmp_path, hostile) == 0


def _naive_grade(task: Task, root: Path, where: Path, hostile: Hostile | None) -> int:
    """The exit status of the task's tests run in the agent's own tree, hidden tests written over it."""
    repo, agent_dir, out = where / "repo", where / "agent", where / "out"
    task.write_repo(repo)
    out.mkdir()
    if hostile:
        agent_dir.mkdir()
        for name, text in hostile.tree(str(where / "victim")).items():
            (agent_dir / name).write_text(text)
        (where / "problem.md").write_text(task.problem)
        env = {"PATH": os.environ["PATH"], "HOME": str(where), "GITDGM_AGENT_DIR": str(agent_dir),
               "GITDGM_OUTPUT_DIR": str(out), "GITDGM_PROBLEM_FILE": str(where / "problem.md"),
               "PYTHONPATH": str(agent_dir)}
        entry = tomllib.loads((agent_dir / "agent.toml").read_text())["entry"]
        subprocess.run(entry, cwd=repo, env=env, check=True, timeout=60, capture_output=True)
    for rel in task.tests.paths():  # plain writes, links followed
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out_file:
            out_file.write((root / "suite" / task.id / "tests" / rel).read_bytes())
    env = {"PATH": os.environ["PATH"], "HOME": str(where), **GRADE_ENV}
    return subprocess.run(["sh", "-c", task.test_command], cwd=repo, env=env, capture_output=True,
                          timeout=60, check=False).returncode


# -- docker only: two runs at once -------------------------------------------------------------------------------
@pytest.mark.parametrize("sandbox", ["docker"])
def test_a_run_cannot_reach_the_other_concurrent_run(lab: Lab, upstream: QuotingUpstream) -> None:
    lab.configure({"eval": {"stages": [2], "workers": 2}})
    agent = lab.agent(NEIGHBOUR.tree(str(lab.victim)))
    before = fingerprint(lab.victim)
    attempt = lab.eval(agent)
    record = attempt.record
    honest, hostile = record["tasks"]["count"], record["tasks"]["calc"]
    logs = lab.archive.task_logs(agent.commit)
    assert honest["outcome"] == "resolved", logs["count"]["agent_output"]
    assert honest["requests"] == 6 and honest["model_errors"] == 0, honest  # its calls, none of the neighbour's
    assert 'HONEST-REPLIES [[200, "GENUINE-REPLY"]' in logs["count"]["agent_output"]
    line = next(x for x in logs["calc"]["agent_output"].splitlines() if x.startswith("HOSTILE-REPORT "))
    report = json.loads(line.removeprefix("HOSTILE-REPORT "))
    assert report["listing"] == ["gw.sock"], report  # its own socket, nothing else
    assert report["tokens"] == [] and report["sockets"] == [] and report["injected"] == [], report
    assert all("refused" in w for w in report["writes"]), report["writes"]
    assert (hostile["outcome"], hostile["why"]) == ("unresolved", "empty_patch")
    assert_contained(lab, before)
    lab.step()


@pytest.mark.parametrize("sandbox", ["docker"])
def test_a_run_cannot_write_into_the_agents_own_tree(lab: Lab) -> None:
    agent = lab.agent(AGENT_DIR_WRITER.tree(str(lab.victim)))
    before = fingerprint(lab.victim)
    attempt = lab.eval(agent)
    assert (attempt.task["outcome"], attempt.task["why"]) == ("unresolved", "empty_patch")
    line = next(x for x in attempt.logs["agent_output"].splitlines() if x.startswith("AGENT-DIR "))
    assert "done" not in line, line
    assert_contained(lab, before)


# -- the self-modification job ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sandbox", SANDBOXES)
@pytest.mark.parametrize(("name", "child_allowed"), [("git-file", False), ("sparse-2g", False),
                                                     ("repo-links-out", True)])
def test_an_attack_during_self_modification_blocks_no_step(name: str, child_allowed: bool, lab: Lab) -> None:
    """The parent runs on a copy of its own tree and attacks it: the step exits 0 and the next step runs too.
    What cannot be taken makes no child; links out of the tree are kept as links (text), so such a child may be
    admitted, and nothing they point at reaches the archive."""
    snapshot = lab.archive.load()
    honest = next(a for a in snapshot.agents.values() if a.id != snapshot.seed().id)
    git(lab.path, "update-ref", "-d", f"refs/heads/dgm/{honest.id}")  # the attacker is to be the best parent
    git(lab.path, "notes", "--ref=dgm", "remove", honest.commit)
    agent = lab.agent(self_modifier(name, next(h.attack for h in CORPUS if h.name == name)))
    before = fingerprint(lab.victim)
    assert lab.eval(agent).task["outcome"] == "resolved"
    children = set(git(lab.path, "for-each-ref", "--format=%(refname)", "refs/dgm/rejected/", "refs/heads/dgm/")
                   .split())
    lab.step()
    made = set(git(lab.path, "for-each-ref", "--format=%(refname)", "refs/dgm/rejected/", "refs/heads/dgm/")
               .split()) - children
    assert child_allowed or not any(ref.startswith("refs/heads/dgm/") for ref in made), f"a child was admitted: {made}"
    assert_contained(lab, before)
    lab.step()
    assert_contained(lab, before)


# -- honest agents still grade as before, on docker (tests/test_suites_builtin.py: the process sandbox) -----------
BUILTIN = load_suite("builtin")


@pytest.fixture(scope="module")
def docker_grades(docker_available: None) -> dict[str, tuple[Any, Any]]:
    """Every builtin task graded in docker as given and with its reference solution, two at a time."""
    sandbox = DockerSandbox(cpus=1.0, memory="1g", pids_limit=256)

    def both(task: Task) -> tuple[Any, Any]:
        with tempfile.TemporaryDirectory(prefix="gitdgm-builtin-") as tmp:
            workspace = task_workspace(task, Path(tmp))
            as_given = grade_workspace(task, workspace, sandbox)
            task.write_solution(workspace.directory)
            return as_given, grade_workspace(task, workspace, sandbox)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((t.id for t in BUILTIN.tasks), pool.map(both, BUILTIN.tasks)))


@pytest.mark.parametrize("task", BUILTIN.tasks, ids=lambda t: t.id)
def test_builtin_task_grades_in_docker(task: Task, docker_grades: dict[str, tuple[Any, Any]]) -> None:
    as_given, solved = docker_grades[task.id]
    assert as_given.outcome == "unresolved", f"hidden tests do not fail on repo/ as given:\n{as_given.output}"
    assert solved.outcome == "resolved", f"hidden tests fail with the reference solution:\n{solved.output}"
    assert not solved.tampering, solved.tampering


def test_every_corpus_entry_names_its_expectations() -> None:
    for hostile in CORPUS:
        assert hostile.attack and hostile.outcomes and "resolved" not in hostile.outcomes, hostile.name
        assert "error" not in hostile.outcomes, hostile.name
    assert {h.kind for h in CORPUS} == {"grading", "host-read", "host-write", "size", "robustness", "gateway"}


def test_an_agent_toml_nested_to_exhaust_the_parser_is_the_agents_error(tmp_path: Path) -> None:
    """tomllib recurses once per bracket: a 2 KB agent.toml must end as the agent's spec error (its functional
    check fails, the run goes on), not as a RecursionError out of gitdgm."""
    nested = "schema = 1\nx = " + "[" * 1000 + "]" * 1000 + "\n"
    (tmp_path / "agent.toml").write_text(nested)
    with pytest.raises(AgentSpecError, match="nested too deeply"):
        read_agent_spec(tmp_path)
    assert "(agent.toml names none)" in summarise_agent({"agent.toml": nested, "main.py": "pass\n"})
