"""``gitdgm plot`` and ``gitdgm report``: parse options, call ``plot`` / ``report``, print what was written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitdgm.views.plot import DOT_LIMIT, ENGINES, TREE_LIMIT

if TYPE_CHECKING:
    from gitdgm.archive import Archive, Snapshot

_archive = click.option("-C", "--archive", "archive_path", default=".", show_default=True,
                        help="The archive (a git repository).")
_out = click.option("--out", "out", default="gitdgm-plots", show_default=True,
                    type=click.Path(file_okay=False, path_type=Path), help="Directory to write into.")
_rejected = click.option("--rejected", is_flag=True, help="Draw rejected children too (greyed, dashed).")
_engine = click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
                       help=f"Tree layout. auto: Graphviz dot up to {DOT_LIMIT} nodes, twopi above; without "
                            f"Graphviz, igraph's tree up to {TREE_LIMIT}, radial above.")


def _max_nodes(default: int) -> click.Option:
    return click.option("--max-nodes", type=click.IntRange(min=0), default=default, show_default=True,
                        help="Draw at most this many agents: the lineages of the best-scoring (0: all).")


def _snapshot(archive_path: str) -> tuple[Archive, Snapshot]:
    from gitdgm.cli.main import (  # the CLI registers these commands, so import it lazily
        load,
        open_archive,
    )

    archive = open_archive(archive_path)
    return archive, load(archive)


@click.command(name="plot")
@_archive
@_out
@_rejected
@_max_nodes(0)
@_engine
def plot_command(archive_path: str, out: Path, rejected: bool, max_nodes: int, engine: str) -> None:
    """Draw the archive tree (tree.svg) and the progress chart (progress.svg/.png, numbers in progress.csv).

    Nodes are coloured by score; the best agent's lineage is drawn in thick red.

    \b
    Example:
      gitdgm plot --out plots --rejected
      gitdgm plot --max-nodes 500      # only the lineages of the best agents
    """
    from gitdgm.views.plot import write_plots

    _, snapshot = _snapshot(archive_path)
    view, paths = write_plots(snapshot, out, rejected=rejected, max_nodes=max_nodes, engine=engine)
    note = f"; {view.note}" if view.note else ""
    click.echo(f"tree: {len(view.shown)} agents laid out with {view.engine}{note}")
    for path in paths:
        click.echo(f"wrote {path}")


@click.command(name="report")
@_archive
@click.option("--out", "out", default="gitdgm-report", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Directory to write report.html into.")
@_rejected
@_max_nodes(2000)
@click.option("--details", type=click.IntRange(min=0), default=500, show_default=True,
              help="Embed records, diffs and task results for this many agents (best lineage, then best scores).")
@_engine
def report_command(archive_path: str, out: Path, rejected: bool, max_nodes: int, details: int,
                   engine: str) -> None:
    """Write one self-contained HTML page to browse the archive (open it from disk or keep it as a CI artifact).

    Click a tree node or a table row to see the agent's record, problem statement, per-task results and diff;
    sort the table by clicking its headers.

    \b
    Example:
      gitdgm report --out site && xdg-open site/report.html
    """
    from gitdgm.views.report import render_report

    archive, snapshot = _snapshot(archive_path)
    path = render_report(archive, snapshot, out, rejected=rejected, max_nodes=max_nodes, details=details,
                         engine=engine)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {len(snapshot.agents)} agents)")
