"""Parent selection over a real archive: the DGM formula, best, random, seeds, and `gitdgm select`."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from archive_helpers import add_child, evaluated, invoke, new_archive

from gitdgm.engine import selection
from gitdgm.archive import Archive, Snapshot
from gitdgm.config import SelectionConfig

DRAWS = 20_000


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """seed 0.2 ─┬ a 0.5 ── b 0.7 ── e (pending)
                 ├ c 0.9 ── d (rejected, note says evaluated 0.95)
                 └ f 0.9 (a tie with c for `best`)"""
    archive, seed = new_archive(tmp_path)
    archive.write_record(seed, evaluated(None, 0, 0.2))
    a = add_child(archive, seed, "a", {"a.py": "A = 1\n"}, score=0.5, work=tmp_path)
    b = add_child(archive, a, "b", {"b.py": "B = 1\n"}, score=0.7, work=tmp_path)
    add_child(archive, b, "e", {"e.py": "E = 1\n"}, status="pending", work=tmp_path)
    c = add_child(archive, seed, "c", {"c.py": "C = 1\n"}, score=0.9, work=tmp_path)
    d = add_child(archive, c, "d", {"d.py": "D = 1\n"}, score=0.95, work=tmp_path)
    archive.move_to_rejected(d)
    add_child(archive, seed, "f", {"f.py": "F = 1\n"}, score=0.9, work=tmp_path)
    return archive


@pytest.fixture
def snapshot(archive: Archive) -> Snapshot:
    return archive.load()


def _by_subject(snapshot: Snapshot) -> dict[str, str]:
    return {a.summary: a.id for a in snapshot.agents.values()}


def expected_dgm(snapshot: Snapshot) -> dict[str, float]:
    """The paper's formula, written out independently: p ∝ sigmoid(10·(score − 0.5)) / (1 + admitted children)."""
    ids = _by_subject(snapshot)
    table = {"Seed agent": (0.2, 3), "a": (0.5, 1), "b": (0.7, 0), "c": (0.9, 0), "f": (0.9, 0)}
    weights = {ids[name]: 1 / (1 + math.exp(-10 * (score - 0.5))) / (1 + kids)
               for name, (score, kids) in table.items()}
    total = sum(weights.values())
    return {agent: w / total for agent, w in weights.items()}


def _frequencies(chosen: list[selection.Candidate]) -> dict[str, float]:
    return {agent: n / len(chosen) for agent, n in Counter(c.id for c in chosen).items()}


def test_candidates_are_admitted_agents_with_admitted_children(snapshot: Snapshot) -> None:
    ids = _by_subject(snapshot)
    cands = {c.id: c for c in selection.candidates(snapshot)}
    assert set(cands) == {ids[n] for n in ("Seed agent", "a", "b", "c", "f")}  # not pending e, not rejected d
    assert cands[ids["Seed agent"]].children == 3 and cands[ids["a"]].children == 1
    assert cands[ids["b"]].children == 0 and cands[ids["c"]].children == 0  # pending and rejected don't count


def test_dgm_frequencies_match_the_formula(snapshot: Snapshot) -> None:
    cands = selection.candidates(snapshot)
    expected = expected_dgm(snapshot)
    probs = dict(zip((c.id for c in cands), selection.probabilities(cands, SelectionConfig())))
    assert probs == pytest.approx(expected, abs=1e-12)
    seen = _frequencies(selection.choose(cands, DRAWS, SelectionConfig(policy="dgm"), seed=11))
    for agent, p in expected.items():
        assert abs(seen.get(agent, 0.0) - p) < 0.01, (agent, seen.get(agent), p)


def test_best_puts_all_mass_on_the_top_score_ties_shared(snapshot: Snapshot) -> None:
    ids = _by_subject(snapshot)
    cands = selection.candidates(snapshot)
    config = SelectionConfig(policy="best")
    seen = _frequencies(selection.choose(cands, DRAWS, config, seed=2))
    assert set(seen) == {ids["c"], ids["f"]}
    assert abs(seen[ids["c"]] - 0.5) < 0.01


def test_random_is_uniform(snapshot: Snapshot) -> None:
    cands = selection.candidates(snapshot)
    seen = _frequencies(selection.choose(cands, DRAWS, SelectionConfig(policy="random"), seed=3))
    assert len(seen) == len(cands) and all(abs(f - 1 / len(cands)) < 0.01 for f in seen.values())


def test_the_same_seed_gives_the_same_parents(snapshot: Snapshot, archive: Archive) -> None:
    cands = selection.candidates(snapshot)
    config = SelectionConfig()
    first = [c.id for c in selection.choose(cands, 8, config, seed=42)]
    assert first == [c.id for c in selection.choose(selection.candidates(archive.load()), 8, config, seed=42)]
    assert any([c.id for c in selection.choose(cands, 8, config, seed=s)] != first for s in range(43, 48))


def test_lambda_and_alpha0_come_from_the_config(snapshot: Snapshot) -> None:
    cands = selection.candidates(snapshot)
    flat = selection.probabilities(cands, SelectionConfig(lam=0.0))  # no score pressure: only the children term
    by_kids = [1 / (1 + c.children) for c in cands]
    assert flat == pytest.approx([w / sum(by_kids) for w in by_kids])


def test_an_archive_without_admitted_agents_selects_nobody(tmp_path: Path) -> None:
    archive, _ = new_archive(tmp_path)  # the seed is still pending
    assert selection.candidates(archive.load()) == []
    result = invoke("select", "-C", str(archive.path))
    assert result.exit_code == 0 and "No candidates yet" in result.stdout


def test_select_command_prints_parents_and_probabilities(archive: Archive, snapshot: Snapshot) -> None:
    result = invoke("select", "-C", str(archive.path), "-k", "6", "--seed", "9", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cands = selection.candidates(snapshot)
    assert data["policy"] == "dgm" and data["seed"] == 9
    assert data["parents"] == [c.id for c in selection.choose(cands, 6, SelectionConfig(), seed=9)]
    probs = {c["id"]: c["probability"] for c in data["candidates"]}
    assert probs == pytest.approx(expected_dgm(snapshot), abs=1e-12)
    assert [c["probability"] for c in data["candidates"]] == sorted(probs.values(), reverse=True)
    again = json.loads(invoke("select", "-C", str(archive.path), "-k", "6", "--seed", "9", "--json").stdout)
    assert again["parents"] == data["parents"]
    text = invoke("select", "-C", str(archive.path), "-k", "2", "--seed", "9").stdout
    assert text.startswith(f"policy dgm, seed 9: parents {' '.join(data['parents'][:2])}")


def test_select_follows_the_policy_in_gitdgm_toml(archive: Archive, snapshot: Snapshot) -> None:
    (archive.path / "gitdgm.toml").write_text('[selection]\npolicy = "best"\nparents = 3\n')
    data = json.loads(invoke("select", "-C", str(archive.path), "--seed", "1", "--json").stdout)
    ids = _by_subject(snapshot)
    assert data["policy"] == "best" and len(data["parents"]) == 3
    assert set(data["parents"]) <= {ids["c"], ids["f"]}
