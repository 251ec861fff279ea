"""How well each search policy does on a simulated landscape whose ground truth is known (docs/search.md).

For every landscape seed, arm (a policy, or an ablation: ``dgm-seedmeta`` is dgm with the seed as the only meta
agent, ``hgm-own`` is hgm drawing parents by their own outcomes) and budget, it runs one in-memory search
(``simulate.py``) and prints:

1. the true quality of the agent each arm ends up believing best, with a 95% confidence interval over seeds, and the
   agents and barren expansions it took;
2. the evaluations each arm spent before its best-belief agent first reached a target quality, alone and with each
   expansion charged ``--expansion-cost`` evaluations (the budget counts evaluations; a self-modification costs
   model calls too, and hgm makes about twice the children);
3. how well the score (what dgm and best select on) and the clade estimate (what hgm selects on) predict an agent's
   true clade productivity, at the largest budget only (the ground truth is a Monte Carlo and costs most of the time).

Same arguments, same numbers: every draw is keyed by the seeds. Run it from the repository root:

    python3 benchmarks/search/study.py --quick
    python3 benchmarks/search/study.py --plot curves.png --json study.json
    python3 benchmarks/search/study.py --landscape plateau
    python3 benchmarks/search/study.py --real 4 --policies hgm,dgm   # against gitdgm's real loop (minutes)
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from agreement import BUDGET, TASKS, paired_runs
from curves import plot
from landscape import Landscape, Params
from measures import mean_ci, mean_r, pearson
from simulate import MetaAgent, ParentsBy, Run, Simulation

from gitdgm.config import Config, PolicyName


@dataclass(frozen=True)
class Arm:
    """A policy as the study runs it, and the signal it chooses parents by."""

    policy: PolicyName
    selects_on: str
    meta_agent: MetaAgent = "self"
    parents_by: ParentsBy = "clade"


ARMS = {
    "dgm": Arm("dgm", "score"),
    "hgm": Arm("hgm", "clade"),
    "hgm-own": Arm("hgm", "own outcomes", parents_by="own"),  # what the clade estimate adds to hgm
    "latest": Arm("latest", "none"),  # the DGM paper's "without open-ended exploration"
    "best": Arm("best", "score"),
    "random": Arm("random", "none"),
    "dgm-seedmeta": Arm("dgm", "score", meta_agent="seed"),  # the DGM paper's "without self-improvement"
}


@dataclass(frozen=True)
class Setting:
    """A named landscape and the qualities table 2 asks each arm to reach."""

    params: Params
    targets: tuple[float, ...]


LANDSCAPES = {
    "default": Setting(Params(), (0.35, 0.45)),
    # the same rules from a seed as able as the mean task is hard: it solves exactly half the suite (the
    # difficulties are symmetric about their mean)
    "strong-seed": Setting(Params(seed_ability=2.0), (0.6, 0.7)),
    # a competent seed where what was easy to gain is gained: improvements rare and small, and ability no help
    "plateau": Setting(Params(seed_ability=2.0, improve=0.08, gain=0.25, skill_weight=0.0), (0.55, 0.6)),
    # what makes good children (meta skill) shows in no score: stepping stones are common and pay off, and an
    # agent's ability does not help it change itself, so the score says least about the clade
    "deceptive": Setting(Params(stepping=0.25, meta_gain=1.0, skill_weight=0.0), (0.35, 0.45)),
}


@dataclass
class Done:
    """One finished run and the wall time it took (construction included)."""

    arm: str
    run: Run
    seconds: float


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    def numbers(kind: Callable[[str], float]) -> Callable[[str], list[float]]:
        return lambda text: [kind(x) for x in text.split(",") if x.strip()]

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=lambda s: s.split(","), default=list(ARMS), help="comma-separated arms")
    parser.add_argument("--budgets", type=numbers(int), default=[200, 400, 800], help="evaluation budgets")
    parser.add_argument("--seeds", type=int, default=30, help="landscape seeds 0..N-1")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--landscape", choices=list(LANDSCAPES), default="default")
    parser.add_argument("--targets", type=numbers(float), help="qualities for table 2 (default: the landscape's)")
    parser.add_argument(
        "--expansion-cost", type=float, default=1.0, help="what an expansion costs in task evaluations (table 2)"
    )
    parser.add_argument("--versus", default="dgm", help="the arm table 1 compares the others with, seed by seed")
    parser.add_argument("--quick", action="store_true", help="8 seeds, budgets 100,200")
    parser.add_argument("--plot", type=Path, help="a .png or .svg of quality against evaluations spent")
    parser.add_argument("--json", type=Path, help="every run's results, to regenerate the tables")
    parser.add_argument(
        "--real", type=int, default=0, metavar="N", help="instead: the small case, in memory and in gitdgm's loop"
    )
    args = parser.parse_args(argv)
    unknown = [p for p in [*args.policies, args.versus] if p not in ARMS]
    if unknown:
        parser.error(f"unknown policies {unknown}; choose from {list(ARMS)}")
    if args.quick:
        args.seeds, args.budgets = 8, [100, 200]
    args.targets = args.targets or list(LANDSCAPES[args.landscape].targets)
    args.budgets = sorted(set(args.budgets))
    return args


def run_all(params: Params, arms: Sequence[str], budgets: Sequence[int], seeds: int, workers: int) -> list[Done]:
    """Every (seed, arm, budget) run, sequentially; signals are gathered at the largest budget only."""
    done = []
    for seed in range(seeds):
        landscape = Landscape(params, seed=seed)
        for arm in arms:
            spec = ARMS[arm]
            for budget in budgets:
                start = time.perf_counter()
                config = Config()
                config.selection.policy = spec.policy
                simulation = Simulation(
                    landscape,
                    config,
                    budget=budget,
                    seed=seed,
                    workers=workers,
                    meta_agent=spec.meta_agent,
                    parents_by=spec.parents_by,
                )
                run = simulation.go(signals=budget == budgets[-1])
                done.append(Done(arm, run, time.perf_counter() - start))
    return done


def calibration(name: str, params: Params) -> str:
    landscape = Landscape(params)
    seed = landscape.seed_genome()
    changes = ", ".join(f"{k} {p:.3f}" for k, p in landscape.change_probabilities(seed).items())
    return f"Landscape {name!r}: seed true quality {landscape.quality(seed):.3f}; the seed's changes: {changes}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown pipe table with aligned columns."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def with_ci(mean: float, low: float, high: float) -> str:
    return f"{mean:.3f} [{low:.2f}, {high:.2f}]"


def select(done: Sequence[Done], arm: str, budget: int) -> list[Run]:
    return [d.run for d in done if d.arm == arm and d.run.budget == budget]


def quality_table(done: Sequence[Done], arms: Sequence[str], budgets: Sequence[int], versus: str) -> str:
    """Each arm's true quality, and its difference from ``versus`` seed by seed (same landscapes: a paired
    interval, much narrower than the two intervals side by side)."""
    rows = []
    for arm in arms:
        for budget in budgets:
            runs, reference = select(done, arm, budget), select(done, versus, budget)
            paired = [r.quality - v.quality for r, v in zip(runs, reference)] if arm != versus and reference else []
            rows.append(
                [
                    arm,
                    str(budget),
                    with_ci(*mean_ci([r.quality for r in runs])),
                    with_ci(*mean_ci(paired)) if paired else "",
                    f"{statistics.fmean(r.evaluations for r in runs):.0f}",
                    f"{statistics.fmean(r.agents for r in runs):.1f}",
                    f"{statistics.fmean(r.barren for r in runs):.1f}",
                ]
            )
    header = ["arm", "budget", "true quality [95% CI]", f"minus {versus}, paired", "evals spent", "agents", "barren"]
    return table(header, rows)


def reach_cell(runs: Sequence[Run], target: float, expansion_cost: float) -> str:
    """Median spent to reach ``target`` over all seeds, a seed that never reached it counting as beyond the budget
    (a median over the seeds that did would favour an arm that rarely gets there, and then early)."""
    spent = sorted(math.inf if s is None else s for s in (r.budget_to_reach(target, expansion_cost) for r in runs))
    reached = sum(s != math.inf for s in spent)
    median = statistics.median(spent)
    shown = "—" if reached == 0 else "beyond" if median == math.inf else f"{median:g}"
    return f"{shown} ({reached}/{len(runs)})"


def reach_table(done: Sequence[Done], arms: Sequence[str], budget: int, targets: Sequence[float], cost: float) -> str:
    header = ["arm"]
    for q in targets:
        header += [f"evals to reach {q:g}", f"evals + {cost:g} × expansions to reach {q:g}"]
    rows = [[arm, *(reach_cell(select(done, arm, budget), q, c) for q in targets for c in (0.0, cost))] for arm in arms]
    return table(header, rows)


def correlations(run: Run) -> tuple[float | None, float | None]:
    """Per run: r(score, true clade productivity) and r(clade estimate, true clade productivity)."""
    scores, estimates, truth = zip(*run.signals) if run.signals else ((), (), ())
    return pearson(scores, truth), pearson(estimates, truth)


def averaged(rs: Sequence[float | None]) -> str:
    defined = [r for r in rs if r is not None]
    return f"{with_ci(*mean_r(defined))} (n={len(defined)})" if defined else "—"


def signal_table(done: Sequence[Done], arms: Sequence[str], budget: int) -> str:
    rows = []
    for arm in arms:
        pairs = [correlations(run) for run in select(done, arm, budget)]
        rows.append([arm, ARMS[arm].selects_on, averaged([p[0] for p in pairs]), averaged([p[1] for p in pairs])])
    return table(["arm", "selects on", "r(score, truth) [95% CI]", "r(clade estimate, truth) [95% CI]"], rows)


def real_table(params: Params, arms: Sequence[str], seeds: int) -> str:
    """In memory against the real loop, seed by seed, on the small case (agreement.py)."""
    rows = []
    for arm in arms:
        spec = ARMS[arm]
        if spec.parents_by != "clade":
            continue  # the real loop runs the configured policy as gitdgm ships it
        pairs = paired_runs(params, spec.policy, range(seeds), meta_agent=spec.meta_agent)
        same = sum(p.identical for p in pairs)
        memory, real = [p.simulated for p in pairs], [p.real for p in pairs]
        qualities = [
            [getattr(r, measure) for r in runs]
            for measure in ("quality", "children_quality")
            for runs in (memory, real)
        ]
        counts = [
            " / ".join(f"{statistics.fmean(getattr(r, measure) for r in runs):.1f}" for runs in (memory, real))
            for measure in ("agents", "barren")
        ]
        rows.append([arm, f"{same}/{len(pairs)}", *(with_ci(*mean_ci(q)) for q in qualities), *counts])
    header = [
        "arm",
        "identical runs",
        "best-belief quality, memory",
        "real loop",
        "children's quality, memory",
        "real loop",
        "agents (memory / real)",
        "barren (memory / real)",
    ]
    return table(header, rows)


def write_json(done: Sequence[Done], args: argparse.Namespace, params: Params) -> None:
    def row(d: Done) -> dict[str, object]:
        r_score, r_clade = correlations(d.run)
        return {
            "policy": d.arm,
            "seed": d.run.seed,
            "budget": d.run.budget,
            "quality": d.run.quality,
            "agents": d.run.agents,
            "barren": d.run.barren,
            "evaluations": d.run.evaluations,
            "budget_to_reach": {f"{q:g}": d.run.budget_to_reach(q) for q in args.targets},
            "cost_to_reach": {f"{q:g}": d.run.budget_to_reach(q, args.expansion_cost) for q in args.targets},
            "r_score": r_score,
            "r_clade": r_clade,
        }

    study = {
        "landscape": args.landscape,
        "params": asdict(params),
        "seeds": args.seeds,
        "budgets": args.budgets,
        "workers": args.workers,
        "targets": args.targets,
        "runs": [row(d) for d in done],
    }
    args.json.write_text(json.dumps(study, indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    params, arms, budgets, largest = LANDSCAPES[args.landscape].params, args.policies, args.budgets, args.budgets[-1]
    print(calibration(args.landscape, params))
    if args.real:  # a mode of its own: minutes per seed, where the in-memory study takes milliseconds per run
        print(f"\nIn memory against gitdgm's real loop ({TASKS} tasks, budget {BUDGET}, 1 worker, {args.real} seeds)\n")
        print(real_table(params, arms, args.real))
        return
    print(f"{args.seeds} seeds, budgets {budgets}, {args.workers} workers\n")
    start = time.perf_counter()
    done = run_all(params, arms, budgets, args.seeds, args.workers)
    wall = time.perf_counter() - start
    print("Table 1: true quality of the final best-belief agent\n")
    print(quality_table(done, arms, budgets, args.versus), end="\n\n")
    print(f"Table 2: evaluations until the best-belief agent reached a quality (median over seeds, budget {largest})\n")
    print(reach_table(done, arms, largest, args.targets, args.expansion_cost), end="\n\n")
    print(f"Table 3: correlation with true clade productivity over admitted agents (budget {largest}, Fisher z)\n")
    print(signal_table(done, arms, largest), end="\n\n")
    plain = [d.seconds for d in done if d.run.budget != largest]
    signals = [d.seconds for d in done if d.run.budget == largest]
    per_run = f"{statistics.fmean(plain):.3f} s per run" if plain else "no runs"
    print(
        f"Wall time: {wall:.1f} s for {len(done)} runs; {per_run} without signals, "
        f"{statistics.fmean(signals):.3f} s per run with them (budget {largest})"
    )
    if args.plot:
        title = f"landscape {args.landscape!r}, {args.seeds} seeds, {args.workers} workers"
        plot({arm: {b: select(done, arm, b) for b in budgets} for arm in arms}, title, args.plot)
    if args.json:
        write_json(done, args, params)


if __name__ == "__main__":
    main()
