"""task.toml validation, directory suites, suite specs and ordering, grading outcomes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitdgm.errors import ConfigError
from gitdgm.sandbox import open_sandbox
from gitdgm.suites import load_dir_suite, load_suite, load_task_dir
from gitdgm.suites.suite import BUILTIN_ENV, balanced_order, builtin_dir
from grading_helpers import grade_workspace, task_workspace

GOOD = """\
schema = 1
id = "demo"
language = "python"
difficulty = "easy"
problem = "Make add() add."
test_command = "python3 -m pytest -q -p no:cacheprovider tests_hidden"
time_limit = 60
test_time_limit = 10
"""


def make_task(root: Path, name: str = "demo", toml: str = GOOD, **replace: str) -> Path:
    task = root / name
    (task / "repo").mkdir(parents=True)
    (task / "tests" / "tests_hidden").mkdir(parents=True)
    (task / "solution").mkdir()
    (task / "repo" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (task / "solution" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (task / "tests" / "tests_hidden" / "test_calc.py").write_text(
        "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    for old, new in replace.items():
        toml = toml.replace(old, new)
    (task / "task.toml").write_text(toml.replace('id = "demo"', f'id = "{name}"'))
    return task


@pytest.fixture(scope="module")
def sandbox():
    return open_sandbox("process", quiet=True)


def test_good_task_loads(tmp_path: Path) -> None:
    task = load_task_dir(make_task(tmp_path))
    assert (task.id, task.language, task.difficulty, task.time_limit, task.test_time_limit) == (
        "demo", "python", "easy", 60.0, 10.0)  # fmt: skip
    assert task.problem == "Make add() add."


@pytest.mark.parametrize(
    "edit,expected",
    [
        ({'language = "python"\n': ""}, "missing required field 'language'"),
        ({"time_limit = 60": 'time_limit = "soon"'}, "field 'time_limit' must be a positive number"),
        ({'language = "python"': 'language = "cobol"'}, "field 'language' = 'cobol' is not one of: python"),
        ({'difficulty = "easy"': "difficulty = 3"}, "field 'difficulty' must be a str, not int"),
        ({"schema = 1": "schema = 9"}, "schema 9 is not supported"),
        ({'problem = "Make add() add."': 'problme = "x"'}, "unknown field 'problme'"),
        ({'problem = "Make add() add."': 'problem_file = "nope.md"'}, "field 'problem_file' names"),
        ({"python3 -m pytest -q -p no:cacheprovider tests_hidden": ""}, "field 'test_command' is empty"),
        ({"schema = 1": "schema = ["}, "not valid TOML"),
    ],
)
def test_bad_task_toml_is_a_one_line_config_error(tmp_path: Path, edit: dict, expected: str) -> None:
    task_dir = make_task(tmp_path, **edit)
    with pytest.raises(ConfigError) as info:
        load_task_dir(task_dir)
    message = str(info.value)
    assert expected in message and str(task_dir) in message and "\n" not in message


def test_missing_repo_dir(tmp_path: Path) -> None:
    task_dir = make_task(tmp_path)
    shutil.rmtree(task_dir / "repo")
    with pytest.raises(ConfigError, match=r"demo: no repo/ directory; create it"):
        load_task_dir(task_dir)


def test_problem_file_is_read(tmp_path: Path) -> None:
    task_dir = make_task(tmp_path, **{'problem = "Make add() add."': 'problem_file = "problem.md"'})
    (task_dir / "problem.md").write_text("# Add\nFix add().\n")
    assert load_task_dir(task_dir).problem == "# Add\nFix add().\n"


def test_duplicate_ids_in_a_suite(tmp_path: Path) -> None:
    make_task(tmp_path, "one")
    make_task(tmp_path, "two", **{'id = "demo"': 'id = "one"'})
    with pytest.raises(ConfigError, match="task id 'one' is used twice"):
        load_dir_suite(tmp_path)


def test_stray_directory_in_a_suite(tmp_path: Path) -> None:
    make_task(tmp_path, "one")
    (tmp_path / "notes").mkdir()
    (tmp_path / "_shared").mkdir()
    with pytest.raises(ConfigError, match="notes: no task.toml"):
        load_dir_suite(tmp_path)


def test_suite_toml_fixes_name_and_order(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        make_task(tmp_path, name)
    (tmp_path / "suite.toml").write_text('schema = 1\nname = "mine"\norder = ["c", "a"]\n')
    suite = load_suite(tmp_path.name, root=tmp_path.parent)
    assert suite.name == "mine" and [t.id for t in suite.tasks] == ["c", "a", "b"]
    (tmp_path / "suite.toml").write_text('order = ["zzz"]\n')
    with pytest.raises(ConfigError, match="'order' names 'zzz'"):
        load_dir_suite(tmp_path)


def test_balanced_order_spreads_difficulty_and_language(tmp_path: Path) -> None:
    specs = [("easy", "python")] * 6 + [("easy", "go")] * 2 + [("medium", "python")] * 8 + [("hard", "python")] * 4
    tasks = [
        load_task_dir(make_task(tmp_path, f"t{i:02}", **{'"easy"': f'"{d}"', '"python"': f'"{lang}"'}))
        for i, (d, lang) in enumerate(specs)
    ]
    ordered = balanced_order(reversed(tasks))
    assert sorted(t.id for t in ordered) == sorted(t.id for t in tasks)
    first = ordered[:10]
    counts = {d: sum(t.difficulty == d for t in first) for d in ("easy", "medium", "hard")}
    assert counts == {"easy": 4, "medium": 4, "hard": 2}
    assert any(t.language == "go" for t in ordered[:5])
    assert [t.id for t in balanced_order(tasks)] == [t.id for t in ordered]  # input order does not matter


def test_unknown_spec(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown suite 'nope': use builtin, humaneval"):
        load_suite("nope", root=tmp_path)


def test_builtin_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_root: Path) -> None:
    assert builtin_dir().resolve() == (project_root / "benchmarks" / "builtin").resolve()
    make_task(tmp_path, "only")
    monkeypatch.setenv(BUILTIN_ENV, str(tmp_path))
    assert [t.id for t in load_suite("builtin").tasks] == ["only"]
    monkeypatch.setenv(BUILTIN_ENV, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=BUILTIN_ENV):
        builtin_dir()


def test_grade_outcomes(tmp_path: Path, sandbox) -> None:
    task = load_task_dir(make_task(tmp_path / "suite"))
    workspace = task_workspace(task, tmp_path / "agent")
    assert grade_workspace(task, workspace, sandbox).outcome == "unresolved"
    task.write_solution(workspace.directory)
    result = grade_workspace(task, workspace, sandbox)
    assert result.outcome == "resolved" and "1 passed" in result.output and result.duration > 0
    assert result.tampering == ()
    assert sorted(p.name for p in workspace.directory.iterdir()) == [".git", "calc.py"]  # hidden tests went elsewhere


def test_grade_timeout_and_error(tmp_path: Path, sandbox) -> None:
    slow = load_task_dir(make_task(tmp_path, "slow", **{
        "python3 -m pytest -q -p no:cacheprovider tests_hidden": "sleep 5", "test_time_limit = 10": "test_time_limit = 0.5"}))  # fmt: skip
    broken = load_task_dir(make_task(tmp_path, "broken", **{
        "python3 -m pytest -q -p no:cacheprovider tests_hidden": "no-such-test-runner-here"}))  # fmt: skip
    timed_out = grade_workspace(slow, task_workspace(slow, tmp_path / "a"), sandbox)
    assert (timed_out.outcome, timed_out.why) == ("unresolved", "tests_timed_out")
    missing = grade_workspace(broken, task_workspace(broken, tmp_path / "b"), sandbox)
    assert missing.outcome == "error" and "toolchain" in missing.why
