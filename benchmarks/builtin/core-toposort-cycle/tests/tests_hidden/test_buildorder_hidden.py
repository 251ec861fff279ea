import pytest

from buildorder import CycleError, build_order


def test_dependencies_first_and_deterministic():
    deps = {"app": ["lib", "utils"], "lib": ["utils"], "tests": ["app"], "docs": []}
    assert build_order(deps) == ["docs", "utils", "lib", "app", "tests"]


def test_targets_only_named_as_dependencies_are_included():
    assert build_order({"b": ["a"]}) == ["a", "b"]


def test_ties_broken_by_name():
    assert build_order({"z": [], "m": [], "a": []}) == ["a", "m", "z"]


def test_cycle_is_reported():
    with pytest.raises(CycleError) as info:
        build_order({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]
    assert "->" in str(info.value)


def test_self_dependency_is_a_cycle():
    with pytest.raises(CycleError) as info:
        build_order({"a": ["a"]})
    assert info.value.cycle == ["a", "a"]


def test_cycle_behind_a_good_prefix():
    with pytest.raises(CycleError) as info:
        build_order({"x": [], "y": ["x", "z"], "z": ["y"]})
    assert sorted(info.value.cycle[:-1]) == ["y", "z"]
