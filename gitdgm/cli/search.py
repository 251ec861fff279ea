"""Commands that run the search or choose agents: ``step``, ``run``, ``select``, ``demo``.

Each parses its options, calls one function of the engine and prints; the engine is imported when a command runs,
since the step pulls in the sandbox and the model gateway.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gitdgm.archive import Archive
from gitdgm.cli.budget import budget_option, policy_option, search_options, with_budget, with_policy
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
from gitdgm.config import CONFIG_FILE, Config, SelectionConfig, load_config
from gitdgm.engine import hgm, selection
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
@search_options
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
    policy: str | None,
    max_evals: int | None,
    workers: int | None,
) -> None:
    """A slice of the search: catch up pending agents, then one generation (select parents; diagnose, self-modify,
    check and evaluate their children in parallel; admit) or, under hgm, search.step_evals task evaluations.

    \b
    Example:
      gitdgm step --parents 4 --summary "$GITHUB_STEP_SUMMARY"
      gitdgm step --dry-run
      gitdgm step --policy hgm --max-evals 40 --workers 4
    \b
    CI fan-out (see docs/scale-out.md):
      gitdgm step --plan 3 > matrix.json     # then, per entry: gitdgm eval AGENT --shard i/3
      gitdgm step --collect                  # after the shards' notes are synced back
    """
    from gitdgm.engine.services import archive_config

    archive = open_archive(archive_path)
    archive.require_fetched()
    config = with_policy(with_budget(archive_config(archive), budget), policy)
    if dry_run:
        _dry_run(archive, config, parents, seed)
        return
    if plan_shards is not None and (plan_shards < 1 or collect):
        raise ConfigError("--plan N needs N >= 1 and cannot be combined with --collect")
    if config.selection.policy == "hgm" and (plan_shards or collect):
        raise ConfigError("--plan and --collect fan out the dgm's generations; hgm evaluates one task at a time")
    mode = "plan" if plan_shards else "collect" if collect else "full"
    hgm = config.selection.policy == "hgm"
    slice_ = Slice(None if hgm else 1, max_evals or (config.search.step_evals if hgm else None), workers)
    with progress_display(progress_mode) as progress:
        report = _search(archive, config, parents, seed, sandbox, progress, slice_, mode, plan_shards or 1)
    if mode == "plan":
        print_json({"include": report.matrix}, indent=None)
        return
    _print_report(report, as_json, summary_file)
    _exit_for(report)


@click.command(name="run")
@archive_option()
@click.option("-n", "generations", type=click.IntRange(min=1), help="Generations (generational policies).")
@_parents_option("Children per generation (default: selection.parents).")
@search_options
@budget_option("Stop when this much is spent: dollars (5) or tokens (2e6tokens).")
@_seed_option("Selection seed (default: random; recorded in the notes).")
@sandbox_option()
@progress_option()
def run_command(
    archive_path: str,
    generations: int | None,
    parents: int | None,
    policy: str | None,
    max_evals: int | None,
    workers: int | None,
    budget: str | None,
    seed: int | None,
    sandbox: str | None,
    progress_mode: str,
) -> None:
    """Search until a budget is spent: task evaluations (--max-evals), dollars or tokens (--budget), or -n
    generations, whichever ends first. A run killed part-way is resumed by the same command: it counts what the
    killed run already spent.

    \b
    Example:
      gitdgm run --policy hgm --max-evals 800 --workers 8 --budget 200
      gitdgm run -n 10 --budget 20          # ten dgm generations
    """
    from gitdgm.engine.services import archive_config

    archive = open_archive(archive_path)
    archive.require_fetched()
    config = with_policy(with_budget(archive_config(archive), budget), policy)
    max_evals = max_evals or config.search.max_evals or None
    limited = max_evals or config.budget.max_usd or config.budget.max_tokens
    if config.selection.policy == "hgm" and not limited:
        raise ConfigError("hgm searches until a budget is spent: give --max-evals N (or search.max_evals, --budget)")
    slice_ = Slice(generations or (None if limited else 1), max_evals, workers, resume=True)
    with progress_display(progress_mode) as progress:
        report = _search(archive, config, parents, seed, sandbox, progress, slice_)
    made = [c for c in report.children if c.id]
    click.echo(
        f"run {report.run} ({report.policy}): {report.evaluations} task evaluation(s), {len(made)} children made, "
        f"{sum(c.status == 'evaluated' for c in made)} admitted; best {report.best or '-'} "
        f"({report.best_score or 0:.3f}); ${report.cost_usd:.4f}, {report.tokens} tokens; "
        f"{report.workers} worker(s) {report.utilisation:.0%} busy"
    )
    if report.stopped:
        click.echo(f"stopped: {report.stopped}")
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


@dataclass(frozen=True)
class Slice:
    """How much of the search a command runs: generations, task evaluations, workers; whether to resume."""

    generations: int | None
    max_evals: int | None
    workers: int | None
    resume: bool = False


def _search(
    archive: Archive,
    config: Config,
    parents: int | None,
    seed: int | None,
    sandbox: str | None,
    progress: Progress,
    slice_: Slice,
    mode: str = "full",
    shards: int = 1,
) -> StepReport:
    """A slice of the search in its own runtime (sandbox and gateway opened and closed around it)."""
    from gitdgm.engine.services import open_runtime
    from gitdgm.engine.step import run_step

    with open_runtime(archive, config, sandbox=sandbox, progress=progress) as rt:
        return run_step(
            rt,
            parents=parents,
            seed=seed,
            mode=mode,
            shards=shards,
            generations=slice_.generations,
            max_evals=slice_.max_evals,
            workers=slice_.workers,
            resume=slice_.resume,
        )


def _dry_run(archive: Archive, config: Config, parents: int | None, seed: int | None) -> None:
    """What a step would evaluate and breed from, without a runtime (nothing is spent or written)."""
    snapshot = load(archive)
    pending = snapshot.pending()
    seed = _seed_or_random(seed)
    state = SearchState.from_snapshot(snapshot, ())
    chosen = _draw(state, config.selection, parents or config.selection.parents, seed)
    click.echo(f"would evaluate {len(pending)} pending agent(s): {' '.join(a.id for a in pending) or '-'}")
    click.echo(f"would breed from ({config.selection.policy}, seed {seed}): {' '.join(chosen) or '-'}")


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
@policy_option()
@_seed_option("RNG seed (default: random; printed).")
@json_option()
def select_command(archive_path: str, count: int | None, policy: str | None, seed: int | None, as_json: bool) -> None:
    """Print the parents a step would choose, and every candidate's probability (under hgm, its clade's evidence
    and its chance to win the Thompson draw).

    \b
    Example:
      gitdgm select -k 4 --seed 7
      gitdgm select --policy hgm
    """
    archive = open_archive(archive_path)
    config = with_policy(load_config(archive.default_branch_file(CONFIG_FILE)), policy).selection
    state = SearchState.from_snapshot(load(archive), ())
    seed = _seed_or_random(seed)
    rows = _candidate_rows(state, config, seed)
    chosen = _draw(state, config, count or config.parents, seed)
    if as_json:
        print_json({"policy": config.policy, "seed": seed, "parents": chosen, "candidates": rows})
        return
    if not rows:
        click.echo("No candidates yet: the next step evaluates pending agents first.")
        return
    click.echo(f"policy {config.policy}, seed {seed}: parents {' '.join(chosen)}")
    for row in rows[:20]:
        evidence = f"clade {row['clade']}" if "clade" in row else f"children {row['children']:3d}"
        click.echo(f"  {row['id']}  score {row['score']:.3f}  {evidence}  p {row['probability']:.4f}")
    if len(rows) > 20:
        click.echo(f"  … {len(rows) - 20} more (use --json)")


def _candidate_rows(state: SearchState, config: SelectionConfig, seed: int) -> list[dict[str, Any]]:
    """Each parent candidate with its chance to be drawn, the likeliest first: hgm's Thompson draw estimated by
    ``evidence_rows``, a weighting's exact probabilities otherwise."""
    if config.policy == "hgm":
        return hgm.evidence_rows(state, seed)
    cands = selection.candidates(state)
    probs = selection.probabilities(cands, config) if cands else []
    rows = [
        {"id": c.id, "score": c.score, "children": c.children, "probability": p}
        for c, p in zip(cands, probs, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["probability"])


def _draw(state: SearchState, config: SelectionConfig, count: int, seed: int) -> list[str]:
    """The ``count`` parents a step with this seed would draw (under hgm: as many Thompson draws over clades)."""
    if config.policy != "hgm":
        return [c.id for c in selection.choose(selection.candidates(state), count, config, seed)]
    parents = hgm.expansion_candidates(state)
    evidence = [hgm.clade(state, p) for p in parents]
    rng = random.Random(seed)
    return [hgm.thompson(parents, evidence, rng) for _ in range(count)] if parents else []


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
@policy_option(default="dgm")
@click.option(
    "--max-evals", type=click.IntRange(min=1), help="Task evaluations to spend (hgm: default 4 per generation)."
)
@sandbox_option()
@progress_option()
def demo_command(
    directory: Path | None,
    generations: int,
    parents: int,
    tasks: int,
    policy: str,
    max_evals: int | None,
    sandbox: str | None,
    progress_mode: str,
) -> None:
    """An offline end-to-end run: a temporary archive, builtin tasks and a scripted model (no API key).

    \b
    Example:
      gitdgm demo --generations 3
      gitdgm demo --policy hgm --max-evals 12
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
            policy=policy,
            max_evals=max_evals or (4 * generations if policy == "hgm" else None),
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
