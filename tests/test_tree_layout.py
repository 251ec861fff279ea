"""The tree without Graphviz: igraph's layout keeps nodes apart, and the real CLI draws it with no `dot` on PATH."""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gitdgm.views import plot

from support import synthetic

from gitdgm.views import tree_svg
from gitdgm.archive import Archive, Snapshot
from gitdgm.views.model import best_path

SVG = "{http://www.w3.org/2000/svg}"
GRAPHVIZ_PROGRAMS = ("dot", "twopi", "sfdp")


@pytest.fixture(scope="module")
def archive_60(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("layout") / "archive"
    synthetic.build(path, 60, max_depth=8, seed=11)
    return path


@pytest.fixture
def snapshot(archive_60: Path) -> Snapshot:
    return Archive(archive_60).load()


def without_graphviz() -> dict[str, str]:
    """This process's environment with every PATH entry that holds a Graphviz program left out."""
    entries = [e for e in os.environ.get("PATH", "").split(os.pathsep)
               if e and not any((Path(e) / name).exists() for name in GRAPHVIZ_PROGRAMS)]
    env = {**os.environ, "PATH": os.pathsep.join(entries), "COLUMNS": "200"}
    assert not any(shutil.which(name, path=env["PATH"]) for name in GRAPHVIZ_PROGRAMS)
    return env


def run_gitdgm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from gitdgm.cli.main import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def lineage(snapshot: Snapshot, agent_id: str) -> list[str]:
    """The agent and its ancestors, walked from the parent links."""
    ids = [agent_id]
    while snapshot.agents[ids[-1]].parent:
        ids.append(snapshot.agents[ids[-1]].parent)
    return ids


def overlapping(points: dict[str, tuple[float, float]]) -> list[tuple[str, str]]:
    """Pairs of node boxes that overlap."""
    return [(a, b) for (a, (xa, ya)), (b, (xb, yb)) in itertools.combinations(points.items(), 2)
            if abs(xa - xb) < tree_svg.NODE_W and abs(ya - yb) < tree_svg.NODE_H]


def test_top_down_layout_puts_children_one_level_below_and_keeps_nodes_apart(snapshot: Snapshot):
    view = plot.select_tree(snapshot, rejected=True, engine="tree")
    points = tree_svg.layout(view)
    assert set(points) == set(snapshot.agents)
    for agent in snapshot.agents.values():
        if agent.parent:
            assert points[agent.id][1] == pytest.approx(points[agent.parent][1] + tree_svg.Y_STEP)
    assert points[snapshot.seed().id][1] == min(y for _, y in points.values())
    assert overlapping(points) == []


def test_radial_layout_puts_children_on_an_outer_ring_and_keeps_nodes_apart(tmp_path: Path):
    synthetic.build(tmp_path / "wide", 300, max_depth=6, seed=2)  # wide and shallow: crowded rings
    snapshot = Archive(tmp_path / "wide").load()
    points = tree_svg.layout(plot.select_tree(snapshot, rejected=True, engine="radial"), radial=True)
    centre = points[snapshot.seed().id]
    assert centre == (0.0, 0.0)
    radius = {i: math.dist(p, centre) for i, p in points.items()}
    for agent in snapshot.agents.values():
        if agent.parent:
            assert radius[agent.id] >= radius[agent.parent] + tree_svg.RING_GAP - 1e-6
    assert overlapping(points) == []


def test_auto_picks_graphviz_where_installed_else_igraph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    if shutil.which("dot") and shutil.which("twopi"):
        assert plot.auto_engine(plot.DOT_LIMIT) == "dot" and plot.auto_engine(plot.DOT_LIMIT + 1) == "twopi"
    monkeypatch.setenv("PATH", str(tmp_path))  # a real lookup that finds no Graphviz
    assert plot.auto_engine(plot.TREE_LIMIT) == "tree" and plot.auto_engine(plot.TREE_LIMIT + 1) == "radial"


def test_plot_and_report_work_without_graphviz(archive_60: Path, tmp_path: Path):
    env = without_graphviz()
    snapshot = Archive(archive_60).load()
    plots = run_gitdgm("plot", "-C", str(archive_60), "--out", str(tmp_path / "plots"), "--rejected", env=env)
    assert plots.returncode == 0, plots.stderr
    assert f"tree: {len(snapshot.agents)} agents laid out with tree" in plots.stdout
    root = ET.parse(tmp_path / "plots" / "tree.svg").getroot()
    nodes = {g.get("id")[2:]: g for g in root.iter(f"{SVG}g") if "node" in g.get("class").split()}
    assert set(nodes) == set(snapshot.agents)
    best = {i for i, g in nodes.items() if "best" in g.get("class").split()}
    assert best == set(best_path(snapshot)) and len(best) > 1
    best_edges = {g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "edge best"}
    assert best_edges == {f"{snapshot.agents[i].parent}->{i}" for i in best if snapshot.agents[i].parent}
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox")) and root.get("width").endswith("pt")

    report = run_gitdgm("report", "-C", str(archive_60), "--out", str(tmp_path / "site"), env=env)
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "site" / "report.html").read_text()
    assert '"tree_engine":"tree"' in html
    tree = re.search(r'<div id="tree">(.*?)</div>', html, re.DOTALL).group(1)
    shown = [g for g in ET.fromstring(tree).iter(f"{SVG}g") if "node" in g.get("class").split()]
    admitted_and_ancestors = {i for a in snapshot.agents.values() if a.status != "rejected"
                              for i in lineage(snapshot, a.id)}
    assert {g.get("id")[2:] for g in shown} == admitted_and_ancestors


def test_asking_for_graphviz_without_it_is_one_line_naming_the_fix(archive_60: Path, tmp_path: Path):
    result = run_gitdgm("plot", "-C", str(archive_60), "--out", str(tmp_path), "--engine", "dot",
                        env=without_graphviz())
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gitdgm: error: Graphviz's `dot`")
    assert "apt-get install graphviz" in result.stderr and "--engine tree" in result.stderr


def test_svg_text_is_escaped(snapshot: Snapshot):
    view = plot.select_tree(snapshot, engine="tree")
    view.note = 'a <b>note</b> & "quotes"'
    svg = tree_svg.render(view).decode()
    ET.fromstring(svg)  # still well-formed XML
    assert "&lt;b&gt;note&lt;/b&gt; &amp;" in svg and "<b>" not in svg
