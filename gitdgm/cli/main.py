"""The ``gitdgm`` command group: error translation, exit codes and the commands of each module (no command bodies).

Exit codes: 0 ok, 1 an error the user can act on, 2 bad usage, 3 an internal error (a bug: set GITDGM_DEBUG=1
for the traceback), 4 budget exhausted, 5 the archive is locked by another step, 6 infrastructure errors (not
scored; run again), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import IO, Any

import click

from gitdgm import __version__
from gitdgm.cli import agents, archive, inspect, model, sandbox, search
from gitdgm.errors import GitdgmError

EXIT_CODES = (
    "Exit codes: 0 ok, 1 error, 2 usage, 3 internal error, 4 budget exhausted, 5 archive locked, "
    "6 infrastructure errors (not scored; run again), 130 interrupted."
)


class _Failure(click.ClickException):
    """A GitdgmError as click reports it: one ``gitdgm: error:`` line and the error's own exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        """Keep the error's exit code: scripts and CI tell budget, lock and infrastructure failures apart by it."""
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        """One line on stderr, without click's usage text: the error is not a usage mistake."""
        click.echo(f"gitdgm: error: {self.message}", err=True)


class GitdgmGroup(click.Group):
    """Turns every GitdgmError into one line and its exit code; GITDGM_DEBUG=1 shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating the errors a user can act on (anything else is a bug: see ``main``)."""
        try:
            return super().invoke(ctx)
        except GitdgmError as exc:
            if os.environ.get("GITDGM_DEBUG"):
                traceback.print_exc()
            raise _Failure(str(exc), exc.exit_code) from None


@click.group(cls=GitdgmGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gitdgm")
def cli() -> None:
    """gitdgm: a Darwin Gödel Machine whose archive is a git repository.

    \b
    Every agent is a commit, its parent agent is its git parent, every admitted
    agent has a dgm/<id> branch and its record is a TOML note in refs/notes/dgm.
    \b
    Quick start:
      gitdgm init my-archive && cd my-archive
      gitdgm step            # one generation (needs OPENAI_API_KEY)
      gitdgm ls && gitdgm tree
    """


def _register(group: click.Group) -> None:
    """Each module lists its own commands, so a new command never means editing this file."""
    groups = (archive, inspect, search, agents, model, sandbox)
    for command in (command for group in groups for command in group.COMMANDS):
        group.add_command(command)


_register(cli)


def main() -> None:
    """Console entry: anything unexpected is reported as a bug in one line (exit 3)."""
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("gitdgm: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the one place that reports bugs
        if os.environ.get("GITDGM_DEBUG"):
            raise
        click.echo(
            f"gitdgm: internal error: {type(exc).__name__}: {exc} (GITDGM_DEBUG=1 shows the traceback; "
            "please report it)",
            err=True,
        )
        sys.exit(3)
