"""Commands that run agents: ``step``, ``run``, ``eval``, ``transplant``, ``demo`` (parse, call, print)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from typing import TYPE_CHECKING

from gitdgm.archive import Archive
from gitdgm.config import Config, unpriced_budget
from gitdgm.errors import BudgetExceeded, ConfigError, GitdgmError, InfrastructureError
from gitdgm.engine.progress import Progress
from gitdgm.views.progress import MODES, progress_display

if TYPE_CHECKING:  # the step pulls in the sandbox and gateway: imported only when a command runs
    from gitdgm.engine.step import StepReport

sandbox_option = click.option("--sandbox", type=click.Choice(["auto", "docker", "process"]),
                              help="Override the archive's sandbox backend.")
progress_option = click.option("--progress", "progress_mode", type=click.Choice(MODES), default="auto",
                                show_default=True, help="Live display (terminal), a line per event (logs), or off.")
archive_option = click.option("-C", "--archive", "archive_path", default=".", show_default=True,
                              help="The archive (a git repository).")


def parse_budget(text: str) -> tuple[float, int]:
    """``5``, ``$5`` or ``5usd`` → dollars; ``200000tokens`` or ``2e5tok`` → tokens."""
    value = text.strip().lower()
    try:
        for suffix in ("tokens", "tok"):
            if value.endswith(suffix):
                return 0.0, int(float(value[: -len(suffix)]))
        return float(value.lstrip("$").removesuffix("usd")), 0
    except ValueError:
        raise ConfigError(f"--budget {text!r}: give dollars (5, $5, 5usd) or tokens (200000tokens)") from None


def _with_budget(config: Config, budget: str | None) -> Config:
    if not budget:
        return config
    usd, tokens = parse_budget(budget)
    config = dataclasses.replace(config, budget=dataclasses.replace(config.budget, max_usd=usd, max_tokens=tokens))
    if why := unpriced_budget(config):
        raise ConfigError(f"--budget {budget}: {why.removeprefix(f'budget.max_usd = {usd} but ')}")
    return config


@click.command()
@archive_option
@click.argument("agent")
@click.option("--suite", help="Suite spec (default: eval.suite of gitdgm.toml).")
@click.option("--stage", type=int, help="Run only this stage (1-based).")
@click.option("--workers", type=int, help="Tasks run in parallel (default: eval.workers).")
@click.option("--shard", help="Run only shard i of n of the stage's tasks, e.g. 2/3 (CI matrix).")
@sandbox_option
@progress_option
def eval_command(archive_path: str, agent: str, suite: str | None, stage: int | None, workers: int | None,
                 shard: str | None, sandbox: str | None, progress_mode: str) -> None:
    """Evaluate AGENT on the suite in stages and record the result in its note.

    Resumable: tasks already recorded are not run again.

    \b
    Example:
      gitdgm eval dgm/3f9a1c2b4d5e --workers 4
      gitdgm eval 3f9a1c2b4d5e --stage 1 --shard 2/3
    """
    from gitdgm.engine.evaluate import Shard, evaluate
    from gitdgm.engine.services import archive_config, open_runtime

    archive = Archive(archive_path)
    target = archive.resolve(agent)
    config = archive_config(archive)
    if workers:
        config = dataclasses.replace(config, eval=dataclasses.replace(config.eval, workers=workers))
    try:
        part = Shard.parse(shard) if shard else None
    except ValueError as exc:
        raise ConfigError(f"--shard: {exc}") from None
    with progress_display(progress_mode) as progress, \
            open_runtime(archive, config, sandbox=sandbox, suite=suite, progress=progress) as rt:
        record = evaluate(rt, target, shard=part, only_stage=stage)
    data = record.data
    click.echo(f"{target.id}: score {data.get('score', 0):.3f} ({data.get('resolved', 0)}/{data.get('attempted', 0)}"
               f" resolved), status {record.status}")
    for task_id, result in sorted(record.tasks.items()):
        click.echo(f"  {task_id:40s} {result.get('outcome')}" + (f" ({result['why']})" if result.get("why") else ""))
    for task_id, result in sorted(record.errors.items()):
        click.echo(f"  {task_id:40s} error: {result.get('why')}")
    if record.errors:
        raise InfrastructureError(f"{len(record.errors)} task(s) of {target.id} ended in error, not the agent's "
                                  f"doing: they are not scored; run `gitdgm eval {target.id}` again once fixed")


@click.command()
@archive_option
@click.option("--parents", type=int, help="Children to make (default: selection.parents).")
@click.option("--seed", type=int, help="Selection seed (default: random; recorded in the notes).")
@click.option("--dry-run", is_flag=True, help="Only show what the step would do.")
@click.option("--budget", help="Stop when this much is spent: dollars (5) or tokens (200000tokens).")
@click.option("--summary", "summary_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a markdown summary here (e.g. $GITHUB_STEP_SUMMARY).")
@click.option("--json", "as_json", is_flag=True, help="Print the step report as JSON.")
@click.option("--plan", "plan_shards", type=int, metavar="N",
              help="Fan-out: breed children without evaluating them and print the (agent, shard i/N) matrix as JSON.")
@click.option("--collect", is_flag=True, help="Fan-out: settle pending agents from their shards' results.")
@sandbox_option
@progress_option
def step_command(archive_path: str, parents: int | None, seed: int | None, dry_run: bool, budget: str | None,
                 summary_file: Path | None, as_json: bool, plan_shards: int | None, collect: bool,
                 sandbox: str | None, progress_mode: str) -> None:
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

    archive = Archive(archive_path)
    archive.require_fetched()
    config = _with_budget(archive_config(archive), budget)
    if dry_run:
        _dry_run(archive, config, parents, seed)
        return
    if plan_shards is not None and (plan_shards < 1 or collect):
        raise ConfigError("--plan N needs N >= 1 and cannot be combined with --collect")
    mode = "plan" if plan_shards else "collect" if collect else "full"
    with progress_display(progress_mode) as progress:
        report = _one_step(archive, config, parents, seed, sandbox, progress, mode, plan_shards or 1)
    if mode == "plan":
        import json

        click.echo(json.dumps({"include": report.matrix}))
        return
    _print_report(report, as_json, summary_file)
    _exit_for(report)


@click.command()
@archive_option
@click.option("-n", "steps", type=int, default=1, show_default=True, help="Steps to run.")
@click.option("--parents", type=int, help="Children per step (default: selection.parents).")
@click.option("--budget", help="Stop when this much is spent over all steps: dollars (5) or tokens (2e6tokens).")
@sandbox_option
@progress_option
def run_command(archive_path: str, steps: int, parents: int | None, budget: str | None,
                sandbox: str | None, progress_mode: str) -> None:
    """Run N steps, then print a summary (children made, admitted, best score, cost).

    \b
    Example:
      gitdgm run -n 10 --budget 20
    """
    from gitdgm.engine.services import archive_config

    archive = Archive(archive_path)
    archive.require_fetched()
    config = _with_budget(archive_config(archive), budget)
    made = admitted = 0
    spent = 0.0
    report = None
    with progress_display(progress_mode) as progress:
        for number in range(1, steps + 1):
            progress.step(number, steps)
            report = _one_step(archive, config, parents, None, sandbox, progress)
            made += sum(1 for c in report.children if c.id)
            admitted += sum(1 for c in report.children if c.status == "evaluated")
            spent += report.cost_usd
            click.echo(f"step {number}/{steps}: {len(report.children)} children, best {report.best} "
                       f"({report.best_score or 0:.3f})")
            if report.stopped:
                break
            config = _spent(config, report.cost_usd)
    click.echo(f"children made {made}, admitted {admitted}, best {report.best if report else '-'} "
               f"({(report.best_score or 0) if report else 0:.3f}), cost ${spent:.4f}")
    if report:
        _exit_for(report)


def _spent(config: Config, cost_usd: float) -> Config:
    """``config`` with a dollar budget lowered by what a step spent (the next step gets what is left)."""
    if not config.budget.max_usd:
        return config
    return dataclasses.replace(config, budget=dataclasses.replace(
        config.budget, max_usd=max(config.budget.max_usd - cost_usd, 1e-9)))


def _exit_for(report: StepReport) -> None:
    """A step that stopped early or left attempts in error exits non-zero (4 budget, 6 infrastructure)."""
    if report.exit_code == BudgetExceeded.exit_code:
        raise BudgetExceeded(report.stopped)
    if report.exit_code:
        raise InfrastructureError(report.stopped or f"{report.errors} task attempt(s) ended in error, not the "
                                  "agents' doing: nothing was scored or rejected for them; the next step runs "
                                  "them again")


def _one_step(archive: Archive, config: Config, parents: int | None, seed: int | None, sandbox: str | None,
              progress: Progress, mode: str = "full", shards: int = 1) -> StepReport:
    from gitdgm.engine.services import open_runtime
    from gitdgm.engine.step import run_step

    with open_runtime(archive, config, sandbox=sandbox, progress=progress) as rt:
        return run_step(rt, parents=parents, seed=seed, mode=mode, shards=shards)


def _dry_run(archive: Archive, config: Config, parents: int | None, seed: int | None) -> None:
    import random

    from gitdgm.engine import selection

    from gitdgm.cli.main import load  # the CLI registers this command, so import it lazily

    snapshot = load(archive)
    pending = snapshot.pending()
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    chosen = selection.choose(selection.candidates(snapshot), parents or config.selection.parents,
                              config.selection, seed)
    click.echo(f"would evaluate {len(pending)} pending agent(s): {' '.join(a.id for a in pending) or '-'}")
    click.echo(f"would breed from ({config.selection.policy}, seed {seed}): {' '.join(c.id for c in chosen) or '-'}")


def _print_report(report: StepReport, as_json: bool, summary_file: Path | None) -> None:
    import json

    markdown = report.markdown()
    if summary_file:
        with summary_file.open("a", encoding="utf-8") as f:
            f.write(markdown)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        click.echo(markdown)


@click.command()
@archive_option
@click.argument("improvement")
@click.option("--onto", required=True, help="The agent that receives the change.")
def transplant_command(archive_path: str, improvement: str, onto: str) -> None:
    """Apply the change that made IMPROVEMENT (its diff against its parent) onto another agent.

    The result is a pending agent (evaluated by the next step); a conflict lists the paths and writes nothing.

    \b
    Example:
      gitdgm transplant 3f9a1c2b4d5e --onto 8e7d6c5b4a39
    """
    archive = Archive(archive_path)
    source, target = archive.resolve(improvement), archive.resolve(onto)
    child = archive.transplant(source, target)
    click.echo(f"Created pending agent {child.id} (branch dgm/{child.id}): {source.id}'s change on "
               f"{target.id}. The next `gitdgm step` evaluates it.")



@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to create the demo archive (default: a new temporary directory, kept).")
@click.option("--generations", type=int, default=3, show_default=True)
@click.option("--parents", type=int, default=2, show_default=True, help="Children per generation.")
@click.option("--tasks", type=int, default=6, show_default=True, help="Builtin tasks in the demo suite.")
@sandbox_option
@progress_option
def demo_command(directory: Path | None, generations: int, parents: int, tasks: int, sandbox: str | None,
                 progress_mode: str) -> None:
    """An offline end-to-end run: a temporary archive, builtin tasks and a scripted model (no API key).

    \b
    Example:
      gitdgm demo --generations 3
    """
    import tempfile

    from rich.console import Console

    from gitdgm.views import model as views
    from gitdgm.demo import run_demo

    directory = directory or Path(tempfile.mkdtemp(prefix="gitdgm-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise GitdgmError(f"{directory} is not empty: give --dir a new directory")
    click.echo("The model in this demo is SCRIPTED (no API key, no network): it knows a few reference solutions "
               "and rewards two self-improvements in turn, so you can watch the machinery work.")
    with progress_display(progress_mode) as progress:
        archive = run_demo(directory, generations=generations, parents=parents, tasks=tasks,
                           sandbox=sandbox or "process", echo=click.echo, progress=progress)
    snapshot = archive.load()
    console = Console()
    console.print(views.ls_table(snapshot, views.sorted_agents(snapshot), console.width))
    console.print(views.lineage_tree(snapshot))
    click.echo(f"\nExplore it: cd {directory} && git log --graph --notes=dgm --all --oneline; gitdgm show <id>.\n"
               "For a real run: gitdgm init my-archive, set model.name (and model.base_url for vLLM, Ollama or "
               "llama.cpp) in gitdgm.toml, export OPENAI_API_KEY, then gitdgm step.")
