"""``gitdgm init``: a new archive (or an existing repository made one) with the seed agent as its root."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2

from gitdgm.archive.health import scan_refs
from gitdgm.archive.record import Record
from gitdgm.archive.repository import Archive
from gitdgm.bundled import TEMPLATES, bundled_dir
from gitdgm.config import CONFIG_FILE, default_config_text
from gitdgm.errors import ArchiveError, ConfigError

SEED_ENV = "GITDGM_SEED_DIR"
WORKFLOW_FILE = ".github/workflows/gitdgm.yml"


def seed_agent_dir() -> Path:
    """The seed agent shipped with gitdgm (``GITDGM_SEED_DIR`` overrides it)."""
    override = os.environ.get(SEED_ENV)
    path = Path(override) if override else bundled_dir("seed_agent", SEED_ENV)
    if not (path / "agent.toml").is_file():
        where = f"{SEED_ENV}={override}" if override else str(path)
        raise ConfigError(f"no seed agent at {where} (agent.toml missing): set {SEED_ENV} to an agent directory")
    return path


def workflow_text() -> str:
    return (TEMPLATES / "workflow.yml").read_text()


def init_archive(path: Path, seed_dir: Path | None = None) -> tuple[Archive, str]:
    """Create or adopt a repository at ``path``; returns the archive and the seed's id."""
    seed_dir = seed_dir or seed_agent_dir()
    if not (seed_dir / "agent.toml").is_file():
        raise ConfigError(f"{seed_dir}: not an agent directory (it has no agent.toml)")
    if pygit2.discover_repository(str(path)) is None or not _is_repo_root(path):
        path.mkdir(parents=True, exist_ok=True)
        pygit2.init_repository(str(path), initial_head="main")
    archive = Archive(path)
    _refuse_a_second_seed(archive, path)
    _write_experiment_files(archive)
    seed = archive.add_agent(
        archive.tree_from_directory(seed_dir),
        None,
        "Seed agent",
        "The initial coding agent every other agent descends from.",
        {"Gitdgm-Generation": "0"},
        Record.new(status="pending", parent=None, generation=0, origin="seed", summary="Seed agent"),
        author=("gitdgm seed", "seed@gitdgm.invalid"),
    )
    return archive, seed.id


def _refuse_a_second_seed(archive: Archive, path: Path) -> None:
    """One archive, one seed: a repository with agents (here, or on a remote it was cloned from) is grown by
    ``gitdgm step``; a second root agent would start an unrelated lineage that selection mixes with the first."""
    scan = scan_refs(archive.repo)
    if not scan.targets and not any(scan.tracking.values()):
        return
    try:
        loaded = archive.load()
    except ArchiveError as exc:
        raise ArchiveError(
            f"{path} is already a gitdgm archive (init would add a second seed): {exc}, then grow it with `gitdgm step`"
        ) from None
    if loaded.agents:
        raise ArchiveError(
            f"{path} is already a gitdgm archive with seed {loaded.seed().id} "
            f"({len(loaded.agents)} agent(s)): grow it with `gitdgm step` (init would add a second "
            "seed)"
        )


def _is_repo_root(path: Path) -> bool:
    found = pygit2.discover_repository(str(path))
    return found is not None and Path(found).resolve() in (path.resolve() / ".git", path.resolve())


def _write_experiment_files(archive: Archive) -> None:
    """gitdgm.toml and the CI workflow on the default branch, kept if the user already has them."""
    files = {CONFIG_FILE: default_config_text().encode(), WORKFLOW_FILE: workflow_text().encode()}
    files = {p: data for p, data in files.items() if archive.default_branch_file(p) is None}
    if files:
        archive.commit_files(files, "gitdgm: experiment settings and CI workflow")


def write_workflow(archive: Archive, force: bool = False) -> bool:
    """Commit the workflow template; False when the archive already has it unchanged."""
    template = workflow_text().encode()
    current = archive.default_branch_file(WORKFLOW_FILE)
    if current == template:
        return False
    if current is not None and not force:
        raise ArchiveError(
            f"{WORKFLOW_FILE} exists and differs from gitdgm's template: use `gitdgm ci init --force` to replace it"
        )
    archive.commit_files({WORKFLOW_FILE: template}, "gitdgm: CI workflow from gitdgm's template")
    return True
