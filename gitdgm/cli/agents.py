"""Commands on one agent: ``eval`` (evaluate it, resumable, shardable) and ``transplant`` (graft its change)."""

from __future__ import annotations

import dataclasses

import click

from gitdgm.cli.options import archive_option, open_archive, progress_option, sandbox_option
from gitdgm.errors import ConfigError, InfrastructureError
from gitdgm.views.progress import progress_display


@click.command(name="eval")
@archive_option()
@click.argument("agent")
@click.option("--suite", help="Suite spec (default: eval.suite of gitdgm.toml).")
@click.option("--stage", type=int, help="Run only this stage (1-based).")
@click.option("--workers", type=int, help="Tasks run in parallel (default: eval.workers).")
@click.option("--shard", help="Run only shard i of n of the stage's tasks, e.g. 2/3 (CI matrix).")
@sandbox_option()
@progress_option()
def eval_command(
    archive_path: str,
    agent: str,
    suite: str | None,
    stage: int | None,
    workers: int | None,
    shard: str | None,
    sandbox: str | None,
    progress_mode: str,
) -> None:
    """Evaluate AGENT on the suite in stages and record the result in its note.

    Resumable: tasks already recorded are not run again.

    \b
    Example:
      gitdgm eval dgm/3f9a1c2b4d5e --workers 4
      gitdgm eval 3f9a1c2b4d5e --stage 1 --shard 2/3
    """
    from gitdgm.engine.evaluate import Shard, evaluate
    from gitdgm.engine.services import archive_config, open_runtime

    archive = open_archive(archive_path)
    target = archive.resolve(agent)
    config = archive_config(archive)
    if workers:
        config = dataclasses.replace(config, eval=dataclasses.replace(config.eval, workers=workers))
    try:
        part = Shard.parse(shard) if shard else None
    except ValueError as exc:
        raise ConfigError(f"--shard: {exc}") from None
    with (
        progress_display(progress_mode) as progress,
        open_runtime(archive, config, sandbox=sandbox, suite=suite, progress=progress) as rt,
    ):
        record = evaluate(rt, target, shard=part, only_stage=stage)
    data = record.data
    click.echo(
        f"{target.id}: score {data.get('score', 0):.3f} ({data.get('resolved', 0)}/{data.get('attempted', 0)}"
        f" resolved), status {record.status}"
    )
    for task_id, result in sorted(record.tasks.items()):
        click.echo(f"  {task_id:40s} {result.get('outcome')}" + (f" ({result['why']})" if result.get("why") else ""))
    for task_id, result in sorted(record.errors.items()):
        click.echo(f"  {task_id:40s} error: {result.get('why')}")
    if record.errors:
        raise InfrastructureError(
            f"{len(record.errors)} task(s) of {target.id} ended in error, not the agent's "
            f"doing: they are not scored; run `gitdgm eval {target.id}` again once fixed"
        )


@click.command(name="transplant")
@archive_option()
@click.argument("improvement")
@click.option("--onto", required=True, help="The agent that receives the change.")
def transplant_command(archive_path: str, improvement: str, onto: str) -> None:
    """Apply the change that made IMPROVEMENT (its diff against its parent) onto another agent.

    The result is a pending agent (evaluated by the next step); a conflict lists the paths and writes nothing.

    \b
    Example:
      gitdgm transplant 3f9a1c2b4d5e --onto 8e7d6c5b4a39
    """
    archive = open_archive(archive_path)
    source, target = archive.resolve(improvement), archive.resolve(onto)
    child = archive.transplant(source, target)
    click.echo(
        f"Created pending agent {child.id} (branch dgm/{child.id}): {source.id}'s change on "
        f"{target.id}. The next `gitdgm step` evaluates it."
    )


COMMANDS: tuple[click.Command, ...] = (eval_command, transplant_command)
