import pytest

from buildrun.buildfile import parse, plan
from buildrun.graph import CycleError, UnknownTarget, build_order


def assert_cycle(cycle, deps, members):
    """cycle is closed, made of exactly members, and each step follows a dependency edge."""
    assert cycle[0] == cycle[-1]
    assert sorted(cycle[:-1]) == sorted(members)
    for a, b in zip(cycle, cycle[1:]):
        assert b in deps[a], f"{a} does not depend on {b}"

CYCLIC = """
app: lib
lib: codegen   # generated sources
codegen: lib
docs:
"""


def test_cycle_detected():
    with pytest.raises(CycleError) as err:
        plan(CYCLIC)
    assert_cycle(err.value.cycle, parse(CYCLIC), ["lib", "codegen"])
    assert " -> ".join(err.value.cycle) in str(err.value)


def test_self_cycle():
    with pytest.raises(CycleError) as err:
        build_order({"a": ["a"]})
    assert err.value.cycle == ["a", "a"]


def test_longer_cycle_order():
    deps = {"x": ["y"], "y": ["z"], "z": ["x"], "top": ["x"]}
    with pytest.raises(CycleError) as err:
        build_order(deps)
    assert_cycle(err.value.cycle, deps, ["x", "y", "z"])


def test_deterministic_alphabetical():
    text = "zeta:\nalpha:\nmid: zeta alpha\nbeta:\napp: mid beta\n"
    assert plan(text) == ["alpha", "beta", "zeta", "mid", "app"]


def test_diamond_and_duplicates():
    deps = {"app": ["b", "c", "b"], "b": ["base"], "c": ["base"], "base": []}
    assert build_order(deps) == ["base", "b", "c", "app"]


def test_subset():
    text = "app: lib\nlib:\ntools: helper\nhelper:\n"
    assert plan(text, targets=["app"]) == ["lib", "app"]
    assert plan(text, targets=["tools", "lib"]) == ["helper", "lib", "tools"]


def test_unknown_dependency():
    with pytest.raises(UnknownTarget) as err:
        plan("app: lib missing\nlib:\n")
    assert "app" in str(err.value) and "missing" in str(err.value)
