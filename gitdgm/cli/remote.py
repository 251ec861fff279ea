"""Click commands ``gitdgm clone``, ``gitdgm sync`` and ``gitdgm ci init``: parse, call one function, print."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gitdgm.archive import Archive
from gitdgm.errors import ArchiveError
from gitdgm.archive.create import WORKFLOW_FILE, workflow_text
from gitdgm.archive.sync import sync

archive_option = click.option("-C", "--archive", "archive_path", default=".", show_default=True,
                              help="The archive (a git repository).")


@click.command(name="sync")
@archive_option
@click.argument("remote", required=False)
@click.option("--fetch-only", is_flag=True, help="Fetch and merge the remote's agents and notes; push nothing.")
@click.option("--push-only", is_flag=True, help="Push without fetching (fails if the remote has newer notes).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
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
    stats = sync(Archive(archive_path), remote, fetch=not push_only, push=not fetch_only)
    for message in stats.warnings + stats.conflicts:
        click.echo(f"gitdgm: warning: {message}", err=True)
    if as_json:
        click.echo(json.dumps(stats.as_dict(), indent=2))
        return
    click.echo(f"sync {stats.remote}: {stats.new_agents} new agent(s) fetched, {stats.records_merged} record(s) "
               f"merged, {stats.pushed_refs} ref(s) pushed"
               + (f" after {stats.push_rejections} rejected push(es)" if stats.push_rejections else ""))


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
        click.echo(f"gitdgm: warning: {message}", err=True)
    click.echo(f"Cloned {url} into {archive.path}: {summary(snapshot)}.")
    click.echo("Records (refs/notes/dgm) and rejected agents come with `git fetch` and `gitdgm sync` from now on. "
               "Next: `gitdgm ls`, `gitdgm tree`, `gitdgm step`.")


@click.group(name="ci")
def ci_group() -> None:
    """The archive's GitHub Actions workflow (a scheduled `gitdgm step`)."""


@ci_group.command(name="init")
@archive_option
@click.option("--force", is_flag=True, help="Replace a workflow file that differs from gitdgm's template.")
def ci_init(archive_path: str, force: bool) -> None:
    """Write gitdgm's workflow into the archive's default branch and commit it.

    \b
    Example:
      gitdgm ci init && git push origin main
    """
    archive = Archive(archive_path)
    changed = write_workflow(archive, force)
    click.echo(f"{'Committed' if changed else 'Up to date:'} {WORKFLOW_FILE}"
               + (" on the default branch; push it to run it." if changed else ""))


def write_workflow(archive: Archive, force: bool = False) -> bool:
    """Commit the workflow template; False when the archive already has it unchanged."""
    template = workflow_text().encode()
    current = archive.default_branch_file(WORKFLOW_FILE)
    if current == template:
        return False
    if current is not None and not force:
        raise ArchiveError(f"{WORKFLOW_FILE} exists and differs from gitdgm's template: "
                           "use `gitdgm ci init --force` to replace it")
    archive.commit_files({WORKFLOW_FILE: template}, "gitdgm: CI workflow from gitdgm's template")
    return True
