"""The search study (benchmarks/search): its landscape's ground truth is what its parameters say, the study is
reproducible from its seeds, and the in-memory runs agree with gitdgm's real loop on the same landscape."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from statistics import fmean, stdev

import pytest

STUDY = Path(__file__).resolve().parents[1] / "benchmarks" / "search"
sys.path.insert(0, str(STUDY))

from agreement import paired_runs, small_config  # noqa: E402
from landscape import KINDS, Genome, Landscape, Params, sigmoid  # noqa: E402
from realloop import landscape_tasks  # noqa: E402
from simulate import Simulation  # noqa: E402

from gitdgm.config import Config  # noqa: E402

Z = 3.29  # two-sided 99.9%: a correct landscape fails one of these checks about once in a thousand seeds


def within(count: int, trials: int, p: float) -> bool:
    """Whether ``count`` successes in ``trials`` are within Z standard errors of probability ``p``."""
    return abs(count - trials * p) <= Z * math.sqrt(trials * p * (1 - p)) + 1


def test_an_agent_solves_a_task_with_its_true_probability() -> None:
    landscape = Landscape(seed=7)
    for ability, task in [(0.0, "t000"), (2.0, "t030"), (3.5, "t059")]:
        genomes = [Genome(f"x{n}", ability, 0.0, "neutral") for n in range(4000)]
        solved = sum(landscape.solves(g, task) for g in genomes)
        p = sigmoid(ability - landscape.difficulty[task])
        assert within(solved, len(genomes), p), (ability, task, solved / len(genomes), p)


def test_quality_is_the_mean_solve_probability_and_tasks_vary_in_difficulty() -> None:
    landscape = Landscape()
    difficulties = sorted(landscape.difficulty.values())
    assert difficulties[0] < 0 < 4 < difficulties[-1]  # from easy for the seed to hard for anyone
    assert abs(fmean(difficulties) - Params().difficulty_mean) < 1e-9
    for ability in (-3.0, 0.0, 0.123, 2.5, 6.0):
        genome = Genome("g", ability, 0.0, "neutral")
        exact = fmean(landscape.solve_probability(genome, t) for t in landscape.tasks)
        assert abs(landscape.quality(genome) - exact) < 1e-5
    assert landscape.quality(Genome("b", 5.0, 0.0, "broken")) == 0.0
    assert 0.15 < landscape.quality(landscape.seed_genome()) < 0.25  # the calibration: a seed near 20%


def test_changes_come_in_the_kinds_and_sizes_the_parameters_say() -> None:
    params = Params()
    landscape = Landscape(params, seed=3)
    seed = landscape.seed_genome()
    children = [landscape.child(seed, k) for k in range(6000)]
    expected = landscape.change_probabilities(seed)
    assert abs(sum(expected.values()) - 1) < 1e-12
    for kind in KINDS:
        count = sum(c.kind == kind for c in children)
        assert within(count, len(children), expected[kind]), (kind, count / len(children), expected[kind])
    assert expected["neutral"] + expected["harmful"] > expected["improvement"]  # most changes do not help

    def mean_change(kind: str, attribute: str) -> list[float]:
        return [getattr(c, attribute) - getattr(seed, attribute) for c in children if c.kind == kind]

    gains, losses = mean_change("improvement", "ability"), mean_change("harmful", "ability")
    assert min(gains) > 0 and abs(fmean(gains) - params.gain) < 4 * params.gain / math.sqrt(len(gains))
    assert max(losses) < 0 and abs(-fmean(losses) - params.loss) < 4 * params.loss / math.sqrt(len(losses))
    steps = [c for c in children if c.kind == "stepping"]
    assert all(c.ability < seed.ability and c.meta > seed.meta for c in steps)  # worse now, better children


def test_a_better_agent_makes_better_children_and_a_stepping_stone_leads_further() -> None:
    landscape = Landscape(seed=5)
    weak, strong = Genome("w", 0.0, 0.0), Genome("s", 2.0, 0.0)
    assert landscape.change_probabilities(strong)["improvement"] > landscape.change_probabilities(weak)["improvement"]
    assert landscape.change_probabilities(strong)["broken"] < landscape.change_probabilities(weak)["broken"]

    def child_gain(parent: Genome) -> float:
        children = [landscape.child(parent, k) for k in range(3000)]
        return fmean(landscape.quality(c) - landscape.quality(parent) for c in children)

    assert child_gain(strong) > child_gain(weak)
    plain, stone = Genome("p", 0.0, 0.0), Genome("q", -0.2, 1.0, "stepping")
    assert landscape.quality(stone) < landscape.quality(plain)
    assert landscape.clade_productivity(stone) > landscape.clade_productivity(plain)


def test_a_genome_is_written_and_read_back_exactly() -> None:
    genome = Landscape(seed=2).child(Genome("0.3", 0.1234567890123, -0.3), 4)
    text = f"You are an agent.\n\n{Genome('0', 0.0, 0.0).line()}\n{genome.line()}\n"
    assert Genome.parse(text) == genome
    assert Genome.parse("no genome here") is None


@pytest.mark.parametrize("policy", ["dgm", "hgm", "latest", "best", "random"])
def test_a_simulated_run_spends_exactly_its_budget_with_the_real_policy(policy: str) -> None:
    config = Config()
    config.selection.policy = policy  # type: ignore[assignment]
    run = Simulation(Landscape(seed=1), config, budget=150, seed=1, workers=4).go(signals=True)
    assert run.evaluations == 150
    assert run.agents > 2 and run.best in run.outcomes
    assert sum(graded for _resolved, graded in run.outcomes.values()) == 150 + 60  # the seed's 60 are outside it
    assert run.curve[-1][0] == 150 and 0 < run.quality < 1
    assert all(-1e-9 <= truth <= 1 for _score, _clade, truth in run.signals)


def study(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(STUDY / "study.py"), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Table 3" in result.stdout
    return json.loads(Path(args[args.index("--json") + 1]).read_text())


def test_the_study_is_reproducible_from_its_seeds(tmp_path: Path) -> None:
    common = ["--policies", "dgm,hgm", "--budgets", "60,120", "--targets", "0.25"]
    first = study(*common, "--seeds", "4", "--json", str(tmp_path / "a.json"))
    again = study(*common, "--seeds", "4", "--json", str(tmp_path / "b.json"))
    more = study(*common, "--seeds", "5", "--json", str(tmp_path / "c.json"))
    assert first == again
    assert more["runs"][: len(first["runs"])] == first["runs"]  # seed by seed, whatever else runs
    assert len({run["quality"] for run in first["runs"]}) > 2  # the seeds differ


@pytest.mark.slow
def test_in_memory_hgm_makes_the_same_agents_as_the_real_loop() -> None:
    """With one worker hgm decides alike in both, so the real loop (real agent, gateway, sandbox, grading, engine)
    and the simulation must make the same agents with the same outcomes: any difference in scheduling, budget
    accounting or admission between the two shows here."""
    pairs = paired_runs(Params(), "hgm", range(2), budget=10, tasks=5)
    for pair in pairs:
        assert pair.real.evaluations == pair.simulated.evaluations == 10
        assert pair.real.outcomes == pair.simulated.outcomes
        assert pair.real.best == pair.simulated.best
    children = [o for pair in pairs for g, o in pair.real.outcomes.items() if g != "0"]
    assert len(children) >= 4 and any(graded for _resolved, graded in children)


def children_rate(outcomes: dict[str, tuple[int, int]]) -> float:
    """The share of the children's graded tasks they resolved."""
    resolved, graded = (sum(o[i] for g, o in outcomes.items() if g != "0") for i in (0, 1))
    return resolved / graded if graded else 0.0


@pytest.mark.slow
def test_in_memory_dgm_agrees_with_the_real_loop() -> None:
    """dgm draws parents from candidates in id order, and a real agent's id is its commit, so the runs may differ:
    a genome both made has the same outcomes, and the real runs' children solve as many tasks as the in-memory
    runs' do, within their 99% interval."""
    pairs = paired_runs(Params(), "dgm", range(2), budget=10, tasks=5)
    for pair in pairs:
        assert pair.real.evaluations == pair.simulated.evaluations == 10
        common = pair.real.outcomes.keys() & pair.simulated.outcomes.keys()
        assert len(common) >= 3  # the seed and its first generation at least
        assert all(pair.real.outcomes[g] == pair.simulated.outcomes[g] for g in common)
    ids = [t.id for t in landscape_tasks(5)]
    memory = [
        children_rate(Simulation(Landscape(seed=s, tasks=ids), small_config("dgm", 5), budget=10, seed=s,
                                 workers=1).go().outcomes)
        for s in range(40)
    ]  # fmt: skip
    real = [children_rate(p.real.outcomes) for p in pairs]
    bound = 2.58 * stdev(memory) * math.sqrt(1 / len(memory) + 1 / len(real))
    assert abs(fmean(real) - fmean(memory)) <= bound, (real, fmean(memory), bound)
