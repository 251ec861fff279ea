"""The ``gitdgm`` command: parse, call one function, print. Logic lives in the modules.

Exit codes: 0 ok, 1 an error the user can act on, 2 bad usage, 3 an internal error (a bug: set GITDGM_DEBUG=1
for the traceback), 4 budget exhausted, 5 the archive is locked by another step, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import random
import sys
import traceback
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from gitdgm import __version__

from gitdgm.engine import selection
from gitdgm.archive import Archive, Snapshot
from gitdgm.config import CONFIG_FILE, load_config
from gitdgm.errors import GitdgmError
from gitdgm.archive.record import STATUSES
from gitdgm.archive.index import UNREADABLE

EXIT_CODES = ("Exit codes: 0 ok, 1 error, 2 usage, 3 internal error, 4 budget exhausted, 5 archive locked, "
              "6 infrastructure errors (not scored; run again), 130 interrupted.")


class _Failure(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"gitdgm: error: {self.message}", err=True)


class GitdgmGroup(click.Group):
    """Turns every GitdgmError into one line and its exit code; GITDGM_DEBUG=1 shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GitdgmError as exc:
            if os.environ.get("GITDGM_DEBUG"):
                traceback.print_exc()
            raise _Failure(str(exc), exc.exit_code) from None


def console() -> Console:
    return Console(soft_wrap=False)


def open_archive(path: str) -> Archive:
    return Archive(path)


def load(archive: Archive) -> Snapshot:
    """Load every agent, printing unreadable notes as warnings (never a crash)."""
    snapshot = archive.load()
    for warning in snapshot.warnings:
        click.echo(f"gitdgm: warning: {warning}", err=True)
    return snapshot


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


archive_option = click.option("-C", "--archive", "archive_path", default=".", show_default=True,
                              help="The archive (a git repository).")


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


@cli.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", "seed_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Agent directory for the seed (default: gitdgm's seed agent).")
def init(path: Path, seed_dir: Path | None) -> None:
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


@cli.command(name="ls")
@archive_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--status", type=click.Choice([*STATUSES, UNREADABLE]), multiple=True,
              help="Only agents with this status (repeatable).")
@click.option("--min-score", type=float, help="Only agents scoring at least this.")
@click.option("--sort", type=click.Choice(["generation", "score", "id", "children"]), default="generation",
              show_default=True)
def ls_command(archive_path: str, as_json: bool, status: tuple[str, ...], min_score: float | None,
               sort: str) -> None:
    """List agents: id, parent, generation, score, children, status.

    \b
    Example:
      gitdgm ls --sort score --min-score 0.3
      gitdgm ls --json | jq '.[] | select(.status == "evaluated")'
    """
    from gitdgm.views import model as views

    snapshot = load(open_archive(archive_path))
    agents = [a for a in views.sorted_agents(snapshot, sort)
              if (not status or a.status in status)
              and (min_score is None or (a.score is not None and a.score >= min_score))]
    if as_json:
        print_json([views.agent_row(snapshot, a) for a in agents])
    else:
        out = console()
        out.print(views.ls_table(snapshot, agents, out.width))


@cli.command()
@archive_option
@click.argument("agent")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(archive_path: str, agent: str, as_json: bool) -> None:
    """Show AGENT: its record, the problem statement it worked on, per-task results and its diff.

    AGENT is an id, a dgm/ branch or any git revision.

    \b
    Example:
      gitdgm show 3f9a1c2b4d5e
      gitdgm show dgm/3f9a1c2b4d5e --json
    """
    from gitdgm.views import model as views

    archive = open_archive(archive_path)
    snapshot = load(archive)
    data = views.show_data(archive, snapshot, archive.resolve(agent))
    if as_json:
        print_json(data)
    else:
        console().print(views.show_renderable(data), soft_wrap=True)  # like git show: lines as written


@cli.command()
@archive_option
@click.option("--depth", type=int, help="Show at most this many generations below the seed.")
@click.option("--no-rejected", is_flag=True, help="Hide rejected children.")
def tree(archive_path: str, depth: int | None, no_rejected: bool) -> None:
    """The lineage tree with scores; ★ marks the path from the seed to the best agent.

    \b
    Example:
      gitdgm tree --depth 3
    """
    from gitdgm.views import model as views

    snapshot = load(open_archive(archive_path))
    console().print(views.lineage_tree(snapshot, depth, show_rejected=not no_rejected))


@cli.command(name="select")
@archive_option
@click.option("-k", "count", type=int, default=None, help="Parents to draw (default: selection.parents).")
@click.option("--seed", type=int, help="RNG seed (default: random; printed).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def select_command(archive_path: str, count: int | None, seed: int | None, as_json: bool) -> None:
    """Print the parents a step would choose, and every candidate's probability.

    \b
    Example:
      gitdgm select -k 4 --seed 7
    """
    archive = open_archive(archive_path)
    config = load_config(archive.default_branch_file(CONFIG_FILE)).selection
    snapshot = load(archive)
    cands = selection.candidates(snapshot)
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    chosen = selection.choose(cands, count or config.parents, config, seed)
    probs = selection.probabilities(cands, config) if cands else []
    rows = sorted(zip(cands, probs), key=lambda cp: -cp[1])
    if as_json:
        print_json({"policy": config.policy, "seed": seed, "parents": [c.id for c in chosen],
                    "candidates": [{"id": c.id, "score": c.score, "children": c.children, "probability": p}
                                   for c, p in rows]})
        return
    if not cands:
        click.echo("No admitted agents yet: the next step evaluates pending agents first.")
        return
    click.echo(f"policy {config.policy}, seed {seed}: parents {' '.join(c.id for c in chosen)}")
    for cand, p in rows[:20]:
        click.echo(f"  {cand.id}  score {cand.score:.3f}  children {cand.children:3d}  p {p:.4f}")
    if len(rows) > 20:
        click.echo(f"  … {len(rows) - 20} more (use --json)")


def _register() -> None:
    from gitdgm.cli import search as commands_dgm
    from gitdgm.cli import model as commands_model
    from gitdgm.cli.remote import ci_group, clone_command, sync_command
    from gitdgm.cli.views import plot_command, report_command
    from gitdgm.cli.sandbox import sandbox as sandbox_group

    cli.add_command(commands_dgm.eval_command, "eval")
    cli.add_command(commands_dgm.step_command, "step")
    cli.add_command(commands_dgm.run_command, "run")
    cli.add_command(commands_dgm.transplant_command, "transplant")
    cli.add_command(commands_dgm.demo_command, "demo")
    cli.add_command(sandbox_group, "sandbox")
    cli.add_command(sync_command, "sync")
    cli.add_command(clone_command, "clone")
    cli.add_command(ci_group, "ci")
    cli.add_command(plot_command, "plot")
    cli.add_command(report_command, "report")
    cli.add_command(commands_model.model_group, "model")


_register()


def main() -> None:
    """Console entry: anything unexpected is reported as a bug in one line (exit 3)."""
    try:
        cli.main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("gitdgm: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that reports bugs
        if os.environ.get("GITDGM_DEBUG"):
            raise
        click.echo(f"gitdgm: internal error: {type(exc).__name__}: {exc} (GITDGM_DEBUG=1 shows the traceback; "
                   "please report it)", err=True)
        sys.exit(3)
