"""The Huxley-Gödel Machine's policy, rule by rule (HGM.md), on search states built by hand: no git, no I/O."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping

import pytest

from gitdgm.engine import hgm
from gitdgm.engine.hgm import HgmPolicy
from gitdgm.engine.state import AgentState, Evaluate, Expand, SearchState

TASKS = tuple(f"t{i}" for i in range(10))
Node = tuple[str | None, list[int]] | tuple[str | None, list[int], str]


def make_state(tree: Mapping[str, Node], tasks: tuple[str, ...] = TASKS, **fields: int | None) -> SearchState:
    """``tree`` maps id → (parent, own[, status]) in creation order; the first is the root. An agent with n
    outcomes has graded the suite's first n tasks."""
    agents: dict[str, AgentState] = {}
    for order, (agent, (parent, own, *status)) in enumerate(tree.items()):
        status_ = status[0] if status else "evaluated"
        agents[agent] = AgentState(agent, parent, status_, list(own), order=order, _tried=set(tasks[: len(own)]))
        if parent is not None:
            agents[parent].children.append(agent)
    state = SearchState(tasks, agents, next(iter(tree)))
    for name, value in fields.items():
        setattr(state, name, value)
    return state


def seeded(mean_positive: bool = True) -> dict[str, Node]:
    """A seed graded on the whole suite (mean 0.3, or 0 when not ``mean_positive``)."""
    return {"root": (None, [1, 1, 1] + [0] * 7 if mean_positive else [0] * 10)}


def policy(seed: int = 0, *, alpha: float = 0.6, cooldown: bool = False, min_evals_best: int = 10) -> HgmPolicy:
    return HgmPolicy(random.Random(seed), alpha=alpha, cooldown=cooldown, min_evals_best=min_evals_best)


# --- clade evidence ---------------------------------------------------------------------------------------------


def test_clade_is_own_then_descendants_as_a_new_list_each_call() -> None:
    state = make_state({"root": (None, [1, 0]), "a": ("root", [1]), "b": ("a", [0, 0]), "c": ("root", [1, 1])})
    first, second = hgm.clade(state, "root"), hgm.clade(state, "root")
    assert first == [1, 0, 1, 0, 0, 1, 1]
    assert first is not second and first is not state.agents["root"].own
    assert hgm.clade(state, "c") is not state.agents["c"].own  # a leaf's clade is its own outcomes, copied
    assert hgm.clade(state, "a") == [1, 0, 0]


def test_clade_and_expansion_never_inflate_own_outcomes_the_reference_aliasing_bug() -> None:
    state = make_state(
        {"root": (None, [1, 0, 0, 0]), "a": ("root", [1, 1]), "b": ("root", [1, 1]), "c": ("a", [1, 1])},
        tasks=("t0", "t1", "t2", "t3"),
        evals=100,
    )
    before = {a.id: list(a.own) for a in state.agents.values()}
    for _ in range(3):
        assert hgm.clade(state, "root") is not state.agents["root"].own
    rule = policy()
    for _ in range(3):
        job = rule.next_job(state)
        assert isinstance(job, Expand)
        state.submitted(job)
    root = state.agents["root"].own
    assert root == [1, 0, 0, 0] and sum(root) / len(root) == 0.25
    assert {a.id: a.own for a in state.agents.values()} == before


# --- Thompson sampling ------------------------------------------------------------------------------------------


def test_beta_parameters_count_successes_and_failures_and_scale_both() -> None:
    assert hgm.beta_parameters([]) == (1, 1)
    assert hgm.beta_parameters([1, 1, 0]) == (3, 2)
    assert hgm.beta_parameters([1, 1, 0], scale=2.0) == (6, 4)


def test_cooldown_scale_grows_as_the_budget_is_spent_and_is_one_without_a_budget() -> None:
    assert hgm.cooldown_scale(0, 800) == 1.0
    assert hgm.cooldown_scale(400, 800) == pytest.approx(2.0)
    assert hgm.cooldown_scale(400, 800, beta=2.0) == pytest.approx(4.0)
    assert hgm.cooldown_scale(799, 800) == pytest.approx(800.0)
    assert hgm.cooldown_scale(800, 800) == 1.0
    assert hgm.cooldown_scale(5, None) == 1.0


def test_thompson_same_seed_gives_the_same_sequence_of_choices() -> None:
    ids, evidence = ["a", "b", "c"], [[1, 0], [1, 1, 0], []]
    runs = [[hgm.thompson(ids, evidence, rng) for _ in range(200)] for rng in (random.Random(7), random.Random(7))]
    assert runs[0] == runs[1] and len(set(runs[0])) == 3


def _p_first_beats_second(a1: int, b1: int, a2: int, b2: int, steps: int = 20_000) -> float:
    """P(θ1 > θ2) = ∫ f1(x) F2(x) dx, by the midpoint rule, with integer Beta parameters (F2 a binomial sum)."""

    def pdf(x: float, a: int, b: int) -> float:
        return x ** (a - 1) * (1 - x) ** (b - 1) / (math.gamma(a) * math.gamma(b) / math.gamma(a + b))

    def cdf(x: float, a: int, b: int) -> float:
        n = a + b - 1
        return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))

    xs = ((i + 0.5) / steps for i in range(steps))
    return sum(pdf(x, a1, b1) * cdf(x, a2, b2) for x in xs) / steps


@pytest.mark.parametrize(
    ("strong", "weak"), [([1] * 8 + [0] * 2, [1] * 2 + [0] * 8), ([1] * 6 + [0] * 4, [1] * 5 + [0] * 5)]
)
def test_thompson_picks_the_stronger_at_the_exact_rate(strong: list[int], weak: list[int]) -> None:
    (a1, b1), (a2, b2) = hgm.beta_parameters(strong), hgm.beta_parameters(weak)
    exact = _p_first_beats_second(int(a1), int(b1), int(a2), int(b2))
    draws, rng = 20_000, random.Random(1)
    rate = sum(hgm.thompson(["s", "w"], [strong, weak], rng) == "s" for _ in range(draws)) / draws
    assert rate == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / draws) + 1e-3)


# --- the widening rule ------------------------------------------------------------------------------------------


def _tree(agents: int) -> dict[str, Node]:
    tree: dict[str, Node] = {"root": (None, [1])}
    return tree | {f"c{i}": ("root", [1]) for i in range(agents - 1)}


def test_widening_rule_exact_boundaries() -> None:
    assert abs(8**0.6 - 3.48) < 0.01
    assert hgm.should_expand(make_state(_tree(4), evals=8), 0.6)  # 3.48 ≥ 3
    assert not hgm.should_expand(make_state(_tree(5), evals=8), 0.6)  # 3.48 < 4
    assert not hgm.should_expand(make_state(_tree(4), evals=8, expanding=1), 0.6)  # 3.48 < 3 + 1
    assert hgm.should_expand(make_state(_tree(1), evals=0), 0.6)  # 0 ≥ 0


def test_widening_rule_counts_barren_expansions_and_rejected_agents() -> None:
    assert hgm.should_expand(make_state(_tree(3), evals=8, barren=1), 0.6)  # 2 + 1 = 3
    assert not hgm.should_expand(make_state(_tree(3), evals=8, barren=2), 0.6)  # 2 + 2 = 4
    rejected = _tree(5) | {"c3": ("root", [], "rejected")}
    assert not hgm.should_expand(make_state(rejected, evals=8), 0.6)


# --- the schedule: the seed first, then warm start ----------------------------------------------------------------


def test_seed_is_evaluated_on_every_task_first_uncounted_then_waited_for() -> None:
    state = make_state({"root": (None, [], "pending")}, workers=4, max_evals=3)
    rule, jobs = policy(), []
    for _ in TASKS:
        job = rule.next_job(state)
        assert isinstance(job, Evaluate) and job.agent == "root" and not job.counted
        state.submitted(job)
        jobs.append(job)
    assert [j.task for j in jobs] == list(TASKS)  # suite order
    assert state.evals == 0 and state.expanding == 0
    for job in jobs[:-1]:
        state.landed(job, "resolved")
        assert rule.next_job(state) is None  # a seed task still runs: wait, no expansion yet
    state.landed(jobs[-1], "unresolved")
    assert isinstance(rule.next_job(state), Expand)


def test_seed_task_that_never_ran_is_tried_again_before_anything_else() -> None:
    state = make_state({"root": (None, [], "pending")}, tasks=("t0", "t1"))
    rule = policy()
    first = rule.next_job(state)
    assert isinstance(first, Evaluate)
    state.submitted(first)
    second = rule.next_job(state)
    assert isinstance(second, Evaluate)
    state.submitted(second)
    state.landed(second, "resolved")
    state.landed(first, None)  # a stopped run: the task goes back to untried
    assert rule.next_job(state) == Evaluate("root", "t0", counted=False)


@pytest.mark.parametrize(("workers", "warm"), [(1, 1), (4, 2), (16, 5)])
def test_warm_start_expands_the_root_min_5_workers_to_alpha_times(workers: int, warm: int) -> None:
    assert warm == max(1, min(5, math.floor(workers**0.6)))
    state = make_state(seeded(mean_positive=False), workers=workers)  # a mean of 0: only the warm start expands
    rule, jobs = policy(), []
    while (job := rule.next_job(state)) is not None:
        assert job == Expand("root") and job.draw["reason"] == "warm"
        state.submitted(job)
        jobs.append(job)
    assert len(jobs) == warm


# --- evaluation: one untried task at a time -------------------------------------------------------------------


def test_evaluation_gives_one_untried_task_never_one_graded_or_in_flight() -> None:
    state = make_state(seeded(mean_positive=False) | {"a": ("root", [0, 0, 0])})  # graded t0..t2, no parent
    rule, given = policy(), []
    while (job := rule.next_job(state)) is not None:
        assert isinstance(job, Evaluate) and job.agent == "a" and job.counted
        assert job.task in TASKS[3:] and job.task not in given
        assert job.task not in state.agents["a"].tried
        state.submitted(job)
        given.append(job.task)
        if len(given) % 2:
            state.landed(job, "unresolved")
    assert sorted(given) == list(TASKS[3:])
    assert state.evals == 7


def test_evaluation_task_is_uniform_among_untried() -> None:
    state = make_state(seeded(mean_positive=False) | {"a": ("root", [], "pending")})
    rule, draws = policy(3), 5000
    counts = Counter(job.task for job in (rule.next_job(state) for _ in range(draws)) if isinstance(job, Evaluate))
    assert sum(counts.values()) == draws and set(counts) == set(TASKS)
    expected = draws / len(TASKS)
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 30  # 9 degrees of freedom: p ≈ 0.0004


def test_evaluation_prefers_by_own_outcomes_and_tries_a_new_agent_soon() -> None:
    state = make_state(seeded() | {"good": ("root", [1] * 5), "bad": ("root", [0] * 5), "new": ("root", [])})
    rule = policy(5)
    picks = Counter(job.agent for job in (rule.next_job(state) for _ in range(2000)) if isinstance(job, Evaluate))
    assert picks["good"] > picks["new"] > picks["bad"]


# --- candidates -------------------------------------------------------------------------------------------------


def test_expansion_candidates_need_a_mean_above_zero() -> None:
    tree = {"root": (None, [0] * 10), "none": ("root", []), "zero": ("root", [0, 0, 0]), "one": ("root", [1, 0])}
    state = make_state(tree, evals=100)
    assert hgm.expansion_candidates(state) == ["one"]
    rule = policy()
    assert all(rule.next_job(state) == Expand("one") for _ in range(50))


def test_rejected_agents_are_never_chosen_for_expansion_or_evaluation() -> None:
    tree = seeded(mean_positive=False) | {"gone": ("root", [1, 1, 1], "rejected"), "weak": ("root", [0, 0, 0])}
    state = make_state(tree, evals=100)
    assert hgm.expansion_candidates(state) == []
    rule = policy()
    jobs = [rule.next_job(state) for _ in range(300)]
    assert all(isinstance(j, Evaluate) and j.agent == "weak" for j in jobs)  # no candidate to expand: evaluate


def test_nothing_to_evaluate_falls_back_to_expanding() -> None:
    state = make_state(seeded() | {"a": ("root", [1] * 10)})  # evals 0: the widening rule says evaluate
    assert not hgm.should_expand(state, 0.6)
    job = policy().next_job(state)
    assert isinstance(job, Expand) and job.draw["reason"] == "idle"


def test_expansion_draw_records_policy_candidates_and_clade_counts() -> None:
    state = make_state({"root": (None, [1, 0, 0, 0]), "a": ("root", [1, 1])}, tasks=("t0", "t1", "t2", "t3"))
    state.evals = 100
    job = policy(cooldown=True, alpha=0.6).next_job(state)
    assert isinstance(job, Expand)
    expected = {"root": (3, 6), "a": (2, 2)}[job.parent]
    assert job.draw["policy"] == "hgm" and job.draw["candidates"] == 2
    assert (job.draw["successes"], job.draw["trials"]) == expected


# --- the budget -------------------------------------------------------------------------------------------------


def test_budget_stops_after_max_evals_and_an_errored_evaluation_is_given_back() -> None:
    tree = seeded() | {f"c{i}": ("root", []) for i in range(3)}  # 3 children: 4**0.6 < 3, so only evaluations
    state = make_state(tree, max_evals=5)
    rule, jobs = policy(), []
    for _ in range(5):
        job = rule.next_job(state)
        assert isinstance(job, Evaluate) and job.counted
        state.submitted(job)
        jobs.append(job)
    assert state.evals == 5 and rule.next_job(state) is None
    state.landed(jobs[0], "resolved")
    assert rule.next_job(state) is None  # a graded task still spent its evaluation
    state.landed(jobs[1], "error")
    job = rule.next_job(state)
    assert isinstance(job, Evaluate)
    state.submitted(job)
    assert rule.next_job(state) is None


def test_same_seed_gives_the_same_run() -> None:
    def run(seed: int) -> list[tuple[str, str]]:
        state = make_state(seeded() | {"a": ("root", [1, 0]), "b": ("a", [])}, workers=4, max_evals=12)
        rule, out = policy(seed), []
        while (job := rule.next_job(state)) is not None:
            state.submitted(job)
            if isinstance(job, Evaluate):
                state.landed(job, "resolved" if int(job.task[1:]) % 2 else "unresolved")
                out.append((job.agent, job.task))
            elif isinstance(job, Expand):
                state.landed(job, None)
                out.append(("expand", job.parent))
        return out

    first = run(11)
    assert first == run(11)
    assert sum(agent != "expand" for agent, _ in first) == 12  # every counted evaluation, expansions besides


# --- completion and the best-belief rule ------------------------------------------------------------------------


def test_complete_when_no_task_is_untried_or_in_flight() -> None:
    state = make_state(seeded() | {"a": ("root", [1] * 9)})
    rule = policy()
    assert rule.complete(state, "root") and not rule.complete(state, "a")
    job = Evaluate("a", "t9")
    state.submitted(job)
    assert not rule.complete(state, "a")
    state.landed(job, "resolved")
    assert rule.complete(state, "a")


def test_best_prefers_posterior_mean_with_enough_evaluations_over_a_lucky_one() -> None:
    state = make_state(seeded() | {"lucky": ("root", [1]), "solid": ("root", [1] * 8 + [0] * 2)})
    assert policy().best(state) == "solid"  # lucky has 1 < 10 outcomes
    assert policy(min_evals_best=1).best(state) == "solid"  # 2/3 < 9/12 even when it is eligible


def test_best_needs_at_most_the_most_outcomes_any_live_agent_has() -> None:
    state = make_state({"root": (None, [0, 0, 0], "pending"), "a": ("root", [1, 1, 0])})
    assert policy(min_evals_best=10).best(state) == "a"


def test_best_ties_go_to_more_outcomes_then_the_older_agent() -> None:
    more = make_state(seeded() | {"few": ("root", [1, 0]), "many": ("root", [1, 0] * 4)})
    assert policy(min_evals_best=1).best(more) == "many"  # 2/4 = 5/10 = 0.5, and the root is 4/12
    older = make_state({"root": (None, [0] * 4), "first": ("root", [1, 0]), "second": ("root", [0, 1])})
    assert policy(min_evals_best=1).best(older) == "first"


def test_best_is_none_without_outcomes_and_ignores_rejected_agents() -> None:
    assert policy().best(make_state({"root": (None, [], "pending"), "a": ("root", [])})) is None
    state = make_state(seeded() | {"gone": ("root", [1] * 10, "rejected")})
    assert policy().best(state) == "root"


# --- choice probabilities ---------------------------------------------------------------------------------------


def test_choice_probabilities_sum_to_one_and_rank_the_stronger_clade_first() -> None:
    tree = {
        "root": (None, [1, 0, 0, 0]),
        "strong": ("root", [1, 1, 0]),
        "kid": ("strong", [1, 1, 1, 1]),
        "weak": ("root", [1, 0, 0, 0, 0]),
    }
    state = make_state(tree)
    probs = hgm.choice_probabilities(state, random.Random(2), draws=4000)
    assert set(probs) == {"root", "strong", "kid", "weak"}
    assert sum(probs.values()) == pytest.approx(1.0)
    assert max(probs, key=probs.__getitem__) in ("strong", "kid") and probs["strong"] > probs["root"] > probs["weak"]
    assert hgm.choice_probabilities(make_state(seeded(mean_positive=False)), random.Random(0)) == {}
