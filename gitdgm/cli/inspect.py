"""Read-only views of the archive: ``ls``, ``show``, ``tree``, ``plot`` and ``report`` (parse, call, print)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from gitdgm.archive.index import UNREADABLE
from gitdgm.archive.record import STATUSES
from gitdgm.cli.options import FC, archive_option, console, json_option, open_snapshot, print_json
from gitdgm.views.plot import DOT_LIMIT, ENGINES, TREE_LIMIT


@click.command(name="ls")
@archive_option()
@json_option()
@click.option(
    "--status",
    type=click.Choice([*STATUSES, UNREADABLE]),
    multiple=True,
    help="Only agents with this status (repeatable).",
)
@click.option("--min-score", type=float, help="Only agents scoring at least this.")
@click.option(
    "--sort", type=click.Choice(["generation", "score", "id", "children"]), default="generation", show_default=True
)
def ls_command(archive_path: str, as_json: bool, status: tuple[str, ...], min_score: float | None, sort: str) -> None:
    """List agents: id, parent, generation, score, children, status.

    \b
    Example:
      gitdgm ls --sort score --min-score 0.3
      gitdgm ls --json | jq '.[] | select(.status == "evaluated")'
    """
    from gitdgm.views import model as views

    _, snapshot = open_snapshot(archive_path)
    agents = [
        a
        for a in views.sorted_agents(snapshot, sort)
        if (not status or a.status in status) and (min_score is None or (a.score is not None and a.score >= min_score))
    ]
    if as_json:
        print_json([views.agent_row(snapshot, a) for a in agents])
    else:
        out = console()
        out.print(views.ls_table(snapshot, agents, out.width))


@click.command(name="show")
@archive_option()
@click.argument("agent")
@json_option()
def show_command(archive_path: str, agent: str, as_json: bool) -> None:
    """Show AGENT: its record, the problem statement it worked on, per-task results and its diff.

    AGENT is an id, a dgm/ branch or any git revision.

    \b
    Example:
      gitdgm show 3f9a1c2b4d5e
      gitdgm show dgm/3f9a1c2b4d5e --json
    """
    from gitdgm.views import model as views

    archive, snapshot = open_snapshot(archive_path)
    data = views.show_data(archive, snapshot, archive.resolve(agent))
    if as_json:
        print_json(data)
    else:
        console().print(views.show_renderable(data), soft_wrap=True)  # like git show: lines as written


@click.command(name="tree")
@archive_option()
@click.option("--depth", type=int, help="Show at most this many generations below the seed.")
@click.option("--no-rejected", is_flag=True, help="Hide rejected children.")
def tree_command(archive_path: str, depth: int | None, no_rejected: bool) -> None:
    """The lineage tree with scores; ★ marks the path from the seed to the best agent.

    \b
    Example:
      gitdgm tree --depth 3
    """
    from gitdgm.views import model as views

    _, snapshot = open_snapshot(archive_path)
    console().print(views.lineage_tree(snapshot, depth, show_rejected=not no_rejected))


def _out_option(default: str, help: str) -> Callable[[FC], FC]:
    """``--out``: the directory plot and report write into."""
    return click.option(
        "--out", "out", default=default, show_default=True, type=click.Path(file_okay=False, path_type=Path), help=help
    )


def _rejected_option() -> Callable[[FC], FC]:
    """``--rejected``: the drawings leave rejected children out unless asked."""
    return click.option("--rejected", is_flag=True, help="Draw rejected children too (greyed, dashed).")


def _max_nodes_option(default: int) -> Callable[[FC], FC]:
    """``--max-nodes``: a large archive is drawn as the lineages of its best agents."""
    return click.option(
        "--max-nodes",
        type=click.IntRange(min=0),
        default=default,
        show_default=True,
        help="Draw at most this many agents: the lineages of the best-scoring (0: all).",
    )


def _engine_option() -> Callable[[FC], FC]:
    """``--engine``: which layout draws the tree (auto picks by size and what is installed)."""
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="auto",
        show_default=True,
        help=f"Tree layout. auto: Graphviz dot up to {DOT_LIMIT} nodes, twopi above; without "
        f"Graphviz, igraph's tree up to {TREE_LIMIT}, radial above.",
    )


@click.command(name="plot")
@archive_option()
@_out_option("gitdgm-plots", "Directory to write into.")
@_rejected_option()
@_max_nodes_option(0)
@_engine_option()
def plot_command(archive_path: str, out: Path, rejected: bool, max_nodes: int, engine: str) -> None:
    """Draw the archive tree (tree.svg) and the progress chart (progress.svg/.png, numbers in progress.csv).

    Nodes are coloured by score; the best agent's lineage is drawn in thick red.

    \b
    Example:
      gitdgm plot --out plots --rejected
      gitdgm plot --max-nodes 500      # only the lineages of the best agents
    """
    from gitdgm.views.plot import write_plots

    _, snapshot = open_snapshot(archive_path)
    view, paths = write_plots(snapshot, out, rejected=rejected, max_nodes=max_nodes, engine=engine)
    note = f"; {view.note}" if view.note else ""
    click.echo(f"tree: {len(view.shown)} agents laid out with {view.engine}{note}")
    for path in paths:
        click.echo(f"wrote {path}")


@click.command(name="report")
@archive_option()
@_out_option("gitdgm-report", "Directory to write report.html into.")
@_rejected_option()
@_max_nodes_option(2000)
@click.option(
    "--details",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Embed records, diffs and task results for this many agents (best lineage, then best scores).",
)
@_engine_option()
def report_command(archive_path: str, out: Path, rejected: bool, max_nodes: int, details: int, engine: str) -> None:
    """Write one self-contained HTML page to browse the archive (open it from disk or keep it as a CI artifact).

    Click a tree node or a table row to see the agent's record, problem statement, per-task results and diff;
    sort the table by clicking its headers.

    \b
    Example:
      gitdgm report --out site && xdg-open site/report.html
    """
    from gitdgm.views.report import render_report

    archive, snapshot = open_snapshot(archive_path)
    path = render_report(archive, snapshot, out, rejected=rejected, max_nodes=max_nodes, details=details, engine=engine)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {len(snapshot.agents)} agents)")


COMMANDS: tuple[click.Command, ...] = (ls_command, show_command, tree_command, plot_command, report_command)
