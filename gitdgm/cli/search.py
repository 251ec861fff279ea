"""Commands that run the search or choose agents: ``step``, ``run``, ``select``, ``demo``.

Each parses its options, calls one function of the engine and prints; the engine is imported when a command runs,
since the step pulls in the sandbox and the model gateway.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitdgm.archive import Archive
from gitdgm.cli.budget import budget_option, spent, with_budget
from gitdgm.cli.options import (
    FC,
    archive_option,
    console,
    json_option,
    load,
    open_archive,
    print_json,
    progress_option,
    sandbox_option,
)
from gitdgm.config import CONFIG_FILE, Config, load_config
from gitdgm.engine import selection
from gitdgm.engine.progress import Progress
from gitdgm.engine.state import SearchState
from gitdgm.errors import BudgetExceeded, ConfigError, GitdgmError, InfrastructureError
from gitdgm.views.progress import progress_display

if TYPE_CHECKING:  # the step pulls in the sandbox and gateway: imported only when a command runs
    from gitdgm.engine.step import StepReport


def _parents_option(help: str, default: int | None = None) -> Callable[[FC], FC]:
    """``--parents``: how many children a step, a run's step or a demo generation makes."""
    if default is None:  # the archive's selection.parents, known only once the command runs
        return click.option("--parents", type=int, help=help)
    return click.option("--parents", type=int, default=default, show_default=True, help=help)


def _seed_option(help: str) -> Callable[[FC], FC]:
    """``--seed``: the selection's random seed, so that a choice of parents can be repeated."""
    return click.option("--seed", type=int, help=help)


def _seed_or_random(seed: int | None) -> int:
    """The seed given, or a fresh one (printed or recorded, so that the draw can be repeated)."""
    return seed if seed is not None else random.SystemRandom().randrange(2**31)


@click.command(name="step")
@archive_option()
@_parents_option("Children to make (default: selection.parents).")
@_seed_option("Selection seed (default: random; recorded in the notes).")
@click.option("--dry-run", is_flag=True, help="Only show what the step would do.")
@budget_option("Stop when this much is spent: dollars (5) or tokens (200000tokens).")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append a markdown summary here (e.g. $GITHUB_STEP_SUMMARY).",
)
@json_option("Print the step report as JSON.")
@click.option(
    "--plan",
    "plan_shards",
    type=int,
    metavar="N",
    help="Fan-out: breed children without evaluating them and print the (agent, shard i/N) matrix as JSON.",
)
@click.option("--collect", is_flag=True, help="Fan-out: settle pending agents from their shards' results.")
@sandbox_option()
@progress_option()
def step_command(
    archive_path: str,
    parents: int | None,
    seed: int | None,
    dry_run: bool,
    budget: str | None,
    summary_file: Path | None,
    as_json: bool,
    plan_shards: int | None,
    collect: bool,
    sandbox: str | None,
    progress_mode: str,
) -> None:
    """One generation: catch up pending agents, select parents, diagnose, self-modify, check, evaluate, admit.

    \b
    Example:
      gitdgm step --parents 4 --summary "$GITHUB_STEP_SUMMARY"
      gitdgm step --dry-run
    \b
    CI fan-out (see docs/scale-out.md):
      gitdgm step --plan 3 > matrix.json     # then, per entry: gitdgm eval AGENT --shard i/3
      gitdgm step --collect                  # after the shards' notes are synced back
    """
    from gitdgm.engine.services import archive_config

    archive = open_archive(archive_path)
    archive.require_fetched()
    config = with_budget(archive_config(archive), budget)
    if dry_run:
        _dry_run(archive, config, parents, seed)
        return
    if plan_shards is not None and (plan_shards < 1 or collect):
        raise ConfigError("--plan N needs N >= 1 and cannot be combined with --collect")
    mode = "plan" if plan_shards else "collect" if collect else "full"
    with progress_display(progress_mode) as progress:
        report = _one_step(archive, config, parents, seed, sandbox, progress, mode, plan_shards or 1)
    if mode == "plan":
        print_json({"include": report.matrix}, indent=None)
        return
    _print_report(report, as_json, summary_file)
    _exit_for(report)


@click.command(name="run")
@archive_option()
@click.option("-n", "steps", type=int, default=1, show_default=True, help="Steps to run.")
@_parents_option("Children per step (default: selection.parents).")
@budget_option("Stop when this much is spent over all steps: dollars (5) or tokens (2e6tokens).")
@sandbox_option()
@progress_option()
def run_command(
    archive_path: str, steps: int, parents: int | None, budget: str | None, sandbox: str | None, progress_mode: str
) -> None:
    """Run N steps, then print a summary (children made, admitted, best score, cost).

    \b
    Example:
      gitdgm run -n 10 --budget 20
    """
    from gitdgm.engine.services import archive_config

    archive = open_archive(archive_path)
    archive.require_fetched()
    config = with_budget(archive_config(archive), budget)
    made = admitted = 0
    cost = 0.0
    report = None
    with progress_display(progress_mode) as progress:
        for number in range(1, steps + 1):
            progress.step(number, steps)
            report = _one_step(archive, config, parents, None, sandbox, progress)
            made += sum(1 for c in report.children if c.id)
            admitted += sum(1 for c in report.children if c.status == "evaluated")
            cost += report.cost_usd
            click.echo(
                f"step {number}/{steps}: {len(report.children)} children, best {report.best} "
                f"({report.best_score or 0:.3f})"
            )
            if report.stopped:
                break
            config = spent(config, report.cost_usd)
    click.echo(
        f"children made {made}, admitted {admitted}, best {report.best if report else '-'} "
        f"({(report.best_score or 0) if report else 0:.3f}), cost ${cost:.4f}"
    )
    if report:
        _exit_for(report)


def _exit_for(report: StepReport) -> None:
    """A step that stopped early or left attempts in error exits non-zero (4 budget, 6 infrastructure)."""
    if report.exit_code == BudgetExceeded.exit_code:
        raise BudgetExceeded(report.stopped)
    if report.exit_code:
        raise InfrastructureError(
            report.stopped
            or f"{report.errors} task attempt(s) ended in error, not the "
            "agents' doing: nothing was scored or rejected for them; the next step runs "
            "them again"
        )


def _one_step(
    archive: Archive,
    config: Config,
    parents: int | None,
    seed: int | None,
    sandbox: str | None,
    progress: Progress,
    mode: str = "full",
    shards: int = 1,
) -> StepReport:
    """One step in its own runtime (sandbox and gateway opened and closed around it)."""
    from gitdgm.engine.services import open_runtime
    from gitdgm.engine.step import run_step

    with open_runtime(archive, config, sandbox=sandbox, progress=progress) as rt:
        return run_step(rt, parents=parents, seed=seed, mode=mode, shards=shards)


def _dry_run(archive: Archive, config: Config, parents: int | None, seed: int | None) -> None:
    """What a step would evaluate and breed from, without a runtime (nothing is spent or written)."""
    snapshot = load(archive)
    pending = snapshot.pending()
    seed = _seed_or_random(seed)
    chosen = selection.choose(
        selection.candidates(SearchState.from_snapshot(snapshot, ())),
        parents or config.selection.parents,
        config.selection,
        seed,
    )
    click.echo(f"would evaluate {len(pending)} pending agent(s): {' '.join(a.id for a in pending) or '-'}")
    click.echo(f"would breed from ({config.selection.policy}, seed {seed}): {' '.join(c.id for c in chosen) or '-'}")


def _print_report(report: StepReport, as_json: bool, summary_file: Path | None) -> None:
    """The step's report on stdout (markdown or JSON) and, for CI, appended to ``summary_file``."""
    markdown = report.markdown()
    if summary_file:
        with summary_file.open("a", encoding="utf-8") as f:
            f.write(markdown)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(markdown)


@click.command(name="select")
@archive_option()
@click.option("-k", "count", type=int, default=None, help="Parents to draw (default: selection.parents).")
@_seed_option("RNG seed (default: random; printed).")
@json_option()
def select_command(archive_path: str, count: int | None, seed: int | None, as_json: bool) -> None:
    """Print the parents a step would choose, and every candidate's probability.

    \b
    Example:
      gitdgm select -k 4 --seed 7
    """
    archive = open_archive(archive_path)
    config = load_config(archive.default_branch_file(CONFIG_FILE)).selection
    snapshot = load(archive)
    cands = selection.candidates(SearchState.from_snapshot(snapshot, ()))
    seed = _seed_or_random(seed)
    chosen = selection.choose(cands, count or config.parents, config, seed)
    probs = selection.probabilities(cands, config) if cands else []
    rows = sorted(zip(cands, probs, strict=True), key=lambda cp: -cp[1])
    if as_json:
        print_json(
            {
                "policy": config.policy,
                "seed": seed,
                "parents": [c.id for c in chosen],
                "candidates": [
                    {"id": c.id, "score": c.score, "children": c.children, "probability": p} for c, p in rows
                ],
            }
        )
        return
    if not cands:
        click.echo("No admitted agents yet: the next step evaluates pending agents first.")
        return
    click.echo(f"policy {config.policy}, seed {seed}: parents {' '.join(c.id for c in chosen)}")
    for cand, p in rows[:20]:
        click.echo(f"  {cand.id}  score {cand.score:.3f}  children {cand.children:3d}  p {p:.4f}")
    if len(rows) > 20:
        click.echo(f"  … {len(rows) - 20} more (use --json)")


@click.command(name="demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the demo archive (default: a new temporary directory, kept).",
)
@click.option("--generations", type=int, default=3, show_default=True)
@_parents_option("Children per generation.", default=2)
@click.option("--tasks", type=int, default=6, show_default=True, help="Builtin tasks in the demo suite.")
@sandbox_option()
@progress_option()
def demo_command(
    directory: Path | None, generations: int, parents: int, tasks: int, sandbox: str | None, progress_mode: str
) -> None:
    """An offline end-to-end run: a temporary archive, builtin tasks and a scripted model (no API key).

    \b
    Example:
      gitdgm demo --generations 3
    """
    import tempfile

    from gitdgm.demo import run_demo
    from gitdgm.views import model as views

    directory = directory or Path(tempfile.mkdtemp(prefix="gitdgm-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise GitdgmError(f"{directory} is not empty: give --dir a new directory")
    click.echo(
        "The model in this demo is SCRIPTED (no API key, no network): it knows a few reference solutions "
        "and rewards two self-improvements in turn, so you can watch the machinery work."
    )
    with progress_display(progress_mode) as progress:
        archive = run_demo(
            directory,
            generations=generations,
            parents=parents,
            tasks=tasks,
            sandbox=sandbox or "process",
            echo=click.echo,
            progress=progress,
        )
    snapshot = archive.load()
    out = console()
    out.print(views.ls_table(snapshot, views.sorted_agents(snapshot), out.width))
    out.print(views.lineage_tree(snapshot))
    click.echo(
        f"\nExplore it: cd {directory} && git log --graph --notes=dgm --all --oneline; gitdgm show <id>.\n"
        "For a real run: gitdgm init my-archive, set model.name (and model.base_url for vLLM, Ollama or "
        "llama.cpp) in gitdgm.toml, export OPENAI_API_KEY, then gitdgm step."
    )


COMMANDS: tuple[click.Command, ...] = (step_command, run_command, select_command, demo_command)
