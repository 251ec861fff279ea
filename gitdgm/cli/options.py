"""Options and helpers that several command modules share, defined once so that the same flag reads the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from gitdgm.archive import Archive, Snapshot
from gitdgm.views.progress import MODES

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)
"""What an option decorates: a command's function, or a command (how click types its own option factories)."""


def archive_option(default: str | None = ".", help: str = "The archive (a git repository).") -> Callable[[FC], FC]:
    """``-C/--archive``: every command that reads an archive takes it the same way as ``git -C``.

    ``default=None`` leaves the option unset when not given, for a command that also works outside an archive.
    """
    if default is None:
        return click.option("-C", "--archive", "archive_path", help=help)
    return click.option("-C", "--archive", "archive_path", default=default, show_default=True, help=help)


def json_option(help: str = "Machine-readable output.") -> Callable[[FC], FC]:
    """``--json``: the flag scripts rely on; only the help says what the JSON holds."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def sandbox_option() -> Callable[[FC], FC]:
    """``--sandbox``: every command that runs agents lets the backend be overridden."""
    return click.option(
        "--sandbox", type=click.Choice(["auto", "docker", "process"]), help="Override the archive's sandbox backend."
    )


def progress_option() -> Callable[[FC], FC]:
    """``--progress``: every long-running command shows progress the same way."""
    return click.option(
        "--progress",
        "progress_mode",
        type=click.Choice(MODES),
        default="auto",
        show_default=True,
        help="Live display (terminal), a line per event (logs), or off.",
    )


def console() -> Console:
    """A rich console that never wraps table rows (they are cut to the terminal instead)."""
    return Console(soft_wrap=False)


def open_archive(path: str) -> Archive:
    """The archive at ``path`` (an ArchiveError, shown in one line, when it is none)."""
    return Archive(path)


def warn(message: str) -> None:
    """A problem worth seeing that does not stop the command: one line on stderr."""
    click.echo(f"gitdgm: warning: {message}", err=True)


def load(archive: Archive) -> Snapshot:
    """Load every agent, printing unreadable notes as warnings (never a crash)."""
    snapshot = archive.load()
    for message in snapshot.warnings:
        warn(message)
    return snapshot


def open_snapshot(path: str) -> tuple[Archive, Snapshot]:
    """The archive at ``path`` and its agents: what every read-only view starts from."""
    archive = open_archive(path)
    return archive, load(archive)


def print_json(data: Any, indent: int | None = 2) -> None:
    """Print ``data`` as JSON on stdout (values JSON does not know, such as paths, as strings)."""
    click.echo(json.dumps(data, indent=indent, sort_keys=False, default=str))
