"""The study's figure: the true quality of each arm's best-belief agent against the evaluations it spent."""

from __future__ import annotations

from pathlib import Path

from measures import mean_ci
from simulate import Run

GRID = 20  # points on the plotted curve


def quality_at(run: Run, spent: float) -> float:
    """The true quality of the best-belief agent once ``spent`` evaluations were spent (before the first landed
    job: the first curve entry's)."""
    last = run.curve[0][2] if run.curve else run.quality
    for evals, _expansions, quality in run.curve:
        if evals > spent:
            break
        last = quality
    return last


def plot(runs: dict[str, dict[int, list[Run]]], title: str, path: Path) -> None:
    """Per arm (``runs[arm][budget]``): the mean curve of its largest-budget runs with a 95% band, and each
    budget's final quality as a marker with its interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for n, (arm, by_budget) in enumerate(runs.items()):
        color, budgets = f"C{n}", sorted(by_budget)
        grid = [budgets[-1] * i / (GRID - 1) for i in range(GRID)]
        bands = [mean_ci([quality_at(r, x) for r in by_budget[budgets[-1]]]) for x in grid]
        ax.plot(grid, [b[0] for b in bands], color=color, label=arm)
        ax.fill_between(grid, [b[1] for b in bands], [b[2] for b in bands], color=color, alpha=0.15)
        finals = [mean_ci([r.quality for r in by_budget[b]]) for b in budgets]
        errors = [[f[0] - f[1] for f in finals], [f[2] - f[0] for f in finals]]
        shifted = [b + (n - (len(runs) - 1) / 2) * budgets[-1] / 150 for b in budgets]  # side by side, not on top
        ax.errorbar(shifted, [f[0] for f in finals], yerr=errors, fmt="o", color=color, capsize=3)
    ax.set(xlabel="evaluations spent", ylabel="true quality of the best-belief agent", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
