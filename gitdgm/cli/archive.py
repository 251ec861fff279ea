"""The archive's lifecycle: ``init``, ``clone``, ``sync`` and ``ci init`` (parse, call one function, print)."""

from __future__ import annotations

from pathlib import Path

import click

from gitdgm.archive.create import WORKFLOW_FILE, write_workflow
from gitdgm.archive.sync import sync
from gitdgm.cli.options import archive_option, json_option, open_archive, print_json, warn
from gitdgm.config import CONFIG_FILE


@click.command(name="init")
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--seed",
    "seed_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Agent directory for the seed (default: gitdgm's seed agent).",
)
def init_command(path: Path, seed_dir: Path | None) -> None:
    """Create an archive at PATH (or make an existing repository one) with the seed agent.

    \b
    Example:
      gitdgm init my-archive
      git -C my-archive log --notes=dgm --all --oneline
    """
    from gitdgm.archive.create import init_archive

    _, seed = init_archive(path, seed_dir)
    click.echo(f"Initialised a gitdgm archive in {path} with seed agent {seed} (branch dgm/{seed}).")
    click.echo(f"Settings: {path / CONFIG_FILE}. Next: `gitdgm step` (or `gitdgm demo` to try it offline).")


@click.command(name="sync")
@archive_option()
@click.argument("remote", required=False)
@click.option("--fetch-only", is_flag=True, help="Fetch and merge the remote's agents and notes; push nothing.")
@click.option("--push-only", is_flag=True, help="Push without fetching (fails if the remote has newer notes).")
@json_option("Print what was done as JSON.")
def sync_command(archive_path: str, remote: str | None, fetch_only: bool, push_only: bool, as_json: bool) -> None:
    """Fetch agents and notes from REMOTE, merge the notes, and push branches and notes back.

    REMOTE defaults to [sync] remote in gitdgm.toml, else origin. Concurrent runners are merged, never
    overwritten: a push refused because another runner got in first is fetched, merged and retried.

    \b
    Example:
      gitdgm sync                 # after a step, on every runner
      gitdgm sync --fetch-only    # before a step: see every runner's agents
    """
    if fetch_only and push_only:
        raise click.UsageError("--fetch-only and --push-only exclude each other")
    stats = sync(open_archive(archive_path), remote, fetch=not push_only, push=not fetch_only)
    for message in stats.warnings + stats.conflicts:
        warn(message)
    if as_json:
        print_json(stats.as_dict())
        return
    click.echo(
        f"sync {stats.remote}: {stats.new_agents} new agent(s) fetched, {stats.records_merged} record(s) "
        f"merged, {stats.pushed_refs} ref(s) pushed"
        + (f" after {stats.push_rejections} rejected push(es)" if stats.push_rejections else "")
    )


@click.command(name="clone")
@click.argument("url")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def clone_command(url: str, directory: Path | None) -> None:
    """Clone the archive at URL into DIRECTORY, with its records and rejected agents (git clone fetches neither).

    The remote is set up so that later `git fetch`, `git pull` and `gitdgm sync` fetch records and rejected
    agents too (into remote-tracking refs; `gitdgm sync` merges them).

    \b
    Example:
      gitdgm clone https://github.com/me/my-archive && cd my-archive && gitdgm ls --sort score
      gitdgm clone git@example.org:runs/archive.git runs
    """
    from gitdgm.archive.clone import clone_archive, summary

    archive, stats = clone_archive(url, directory)
    snapshot = archive.load()
    for message in stats.warnings + stats.conflicts + snapshot.warnings:
        warn(message)
    click.echo(f"Cloned {url} into {archive.path}: {summary(snapshot)}.")
    click.echo(
        "Records (refs/notes/dgm) and rejected agents come with `git fetch` and `gitdgm sync` from now on. "
        "Next: `gitdgm ls`, `gitdgm tree`, `gitdgm step`."
    )


@click.group(name="ci")
def ci_group() -> None:
    """The archive's GitHub Actions workflow (a scheduled `gitdgm step`)."""


@ci_group.command(name="init")
@archive_option()
@click.option("--force", is_flag=True, help="Replace a workflow file that differs from gitdgm's template.")
def ci_init(archive_path: str, force: bool) -> None:
    """Write gitdgm's workflow into the archive's default branch and commit it.

    \b
    Example:
      gitdgm ci init && git push origin main
    """
    changed = write_workflow(open_archive(archive_path), force)
    click.echo(
        f"{'Committed' if changed else 'Up to date:'} {WORKFLOW_FILE}"
        + (" on the default branch; push it to run it." if changed else "")
    )


COMMANDS: tuple[click.Command, ...] = (init_command, clone_command, sync_command, ci_group)
