"""gitdgm as a user of a package index gets it: a wheel in a fresh venv, no checkout anywhere on the path.

The wheel is built from this checkout (``pip wheel``, which runs setup.py's build step), installed with its
dependencies into a new venv (no system site-packages), and run from a folder outside the checkout with the
variables that could point back at it removed: ``gitdgm init`` must find the seed agent and ``gitdgm demo`` the
builtin suite inside the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gitdgm.archive import Archive

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
POINTERS = ("PYTHONPATH", "GITDGM_SEED_DIR", "GITDGM_BUILTIN_SUITE", "OPENAI_API_KEY", "VIRTUAL_ENV")


def run(argv: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, argv))}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel of this checkout installed (its bin folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", ROOT], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("gitdgm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gitdgm/data/seed_agent/agent.toml" in names
    assert "gitdgm/data/builtin/py-add-months-clamp/task.toml" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    run([sys.executable, "-m", "venv", tmp / "venv"], cwd=tmp)
    run([tmp / "venv" / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=tmp)
    return tmp / "venv" / "bin"


def user_env(bin_dir: Path) -> dict[str, str]:
    """A shell where nothing points at the checkout (the venv not even activated: its gitdgm is called by path)."""
    return {k: v for k, v in os.environ.items() if k not in POINTERS} | {"COLUMNS": "200"}


def test_the_installed_package_is_the_one_that_runs(installed: Path, tmp_path: Path) -> None:
    where = run([installed / "python", "-c", "import gitdgm; print(gitdgm.__file__)"], cwd=tmp_path,
                env=user_env(installed)).stdout.strip()
    assert Path(where).is_relative_to(installed.parent) and not Path(where).is_relative_to(ROOT)


def test_init_from_the_wheel_commits_the_shipped_seed(installed: Path, tmp_path: Path) -> None:
    result = run([installed / "gitdgm", "init", "archive"], cwd=tmp_path, env=user_env(installed))
    seed = Archive(tmp_path / "archive").load().seed()
    assert f"seed agent {seed.id}" in result.stdout
    committed = subprocess.run(["git", "-C", str(tmp_path / "archive"), "ls-tree", "-r", "--name-only",
                                seed.commit], capture_output=True, text=True, check=True).stdout.split()
    shipped = subprocess.run(["git", "-C", str(ROOT / "seed_agent"), "ls-files", "."], capture_output=True,
                             text=True, check=True).stdout.split()
    assert sorted(committed) == sorted(shipped)  # the whole seed, and no bytecode pip compiled next to it


def test_one_generation_demo_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    result = run([installed / "gitdgm", "demo", "--dir", "demo", "--generations", "1", "--progress", "lines"],
                 cwd=tmp_path, env=user_env(installed))
    assert "step 1/1:" in result.stdout
    assert "evaluating" in result.stderr and "task 6/6" in result.stderr  # the builtin suite came with the wheel
    snapshot = Archive(tmp_path / "demo").load()
    assert snapshot.seed().score == pytest.approx(1 / 3)  # the easy third of the six tasks
    assert snapshot.best().score == pytest.approx(2 / 3) and snapshot.best().generation == 1
