"""``gitdgm plot`` on a real 200-agent synthetic archive: the SVG and CSV it writes are read back and checked.

The tree tests run for Graphviz and for our own igraph SVG (``tree_svg``): both keep the same SVG contract.
"""

from __future__ import annotations

import csv
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitdgm.views import plot

from support import synthetic
from gitdgm.archive import Archive, Snapshot
from gitdgm.cli.inspect import plot_command

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def archive_200(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plot") / "archive"
    synthetic.build(path, 200, max_depth=30, seed=3)
    return path


@pytest.fixture
def snapshot(archive_200: Path) -> Snapshot:
    return Archive(archive_200).load()


def svg_graph(path: Path) -> tuple[dict[str, ET.Element], set[tuple[str, str]], ET.Element]:
    """Nodes by agent id and edges as (parent, child), read from the SVG Graphviz or ``tree_svg`` wrote."""
    root = ET.parse(path).getroot()
    groups = list(root.iter(f"{SVG}g"))
    nodes = {g.get("id", "")[2:]: g for g in groups if "node" in g.get("class", "").split()}
    edges = {tuple(g.find(f"{SVG}title").text.split("->")) for g in groups if "edge" in g.get("class", "").split()}
    return nodes, edges, root


def best_by_records(snapshot: Snapshot) -> str:
    """The best agent worked out from the full records, independently of Snapshot.best."""
    evaluated = [(a.record.data["score"], -a.record.data["generation"], a.id) for a in snapshot.agents.values()
                 if a.record.data["status"] == "evaluated"]
    return max(evaluated)[2]


@pytest.mark.parametrize("engine", ["auto", "tree", "radial"])
def test_tree_shows_admitted_agents_with_parent_edges_and_the_best_lineage(snapshot: Snapshot, tmp_path: Path,
                                                                          engine: str):
    view, paths = plot.write_plots(snapshot, tmp_path, engine=engine)
    nodes, edges, root = svg_graph(tmp_path / "tree.svg")

    expected: set[str] = set()
    for agent in snapshot.agents.values():
        walk = agent if agent.status != "rejected" else None
        while walk is not None:  # admitted agents and every ancestor (even a rejected one) so the tree connects
            expected.add(walk.id)
            walk = snapshot.agents[walk.parent] if walk.parent else None
    assert set(nodes) == expected and len(expected) < len(snapshot.agents)
    assert edges == {(snapshot.agents[i].parent, i) for i in expected if snapshot.agents[i].parent}

    best = best_by_records(snapshot)
    lineage, walk = [], snapshot.agents[best]
    while walk is not None:
        lineage.append(walk.id)
        walk = snapshot.agents[walk.parent] if walk.parent else None
    highlighted = {i for i, g in nodes.items() if "best" in g.get("class", "").split()}
    assert highlighted == set(lineage)
    for agent_id in lineage:
        shape = nodes[agent_id].find(f"{SVG}path")
        assert shape.get("stroke") == plot.BEST_COLOR and float(shape.get("stroke-width")) == 3
    best_score = snapshot.agents[best].record.data["score"]
    assert nodes[best].find(f"{SVG}path").get("fill") == plot.score_color(best_score)
    labels = [t.text for t in nodes[best].iter(f"{SVG}text")]
    assert labels == [best[:7], f"{best_score:.2f}"]
    assert view.engine == ("dot" if engine == "auto" else engine)
    assert [p.name for p in paths] == ["tree.svg", "progress.svg", "progress.png", "progress.csv"]
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "score" in legend and "best lineage" in legend


@pytest.mark.parametrize("engine", ["auto", "tree"])
def test_rejected_children_are_greyed_only_when_asked(snapshot: Snapshot, tmp_path: Path, engine: str):
    plot.write_plots(snapshot, tmp_path, rejected=True, engine=engine)
    nodes, edges, _ = svg_graph(tmp_path / "tree.svg")
    assert set(nodes) == set(snapshot.agents)
    assert len(edges) == len(snapshot.agents) - 1
    rejected = {a.id for a in snapshot.agents.values() if a.status == "rejected"}
    assert rejected
    greyed = {i for i, g in nodes.items() if "rejected" in g.get("class", "").split()}
    assert greyed == rejected
    assert {nodes[i].find(f"{SVG}path").get("fill") for i in rejected} == {plot.REJECTED_COLOR}


@pytest.mark.parametrize("engine", ["twopi", "radial"])
def test_pruning_keeps_whole_lineages_of_the_best_and_says_so(snapshot: Snapshot, tmp_path: Path, engine: str):
    view, _ = plot.write_plots(snapshot, tmp_path, max_nodes=40, engine=engine)
    nodes, edges, root = svg_graph(tmp_path / "tree.svg")
    assert view.engine == engine and 0 < len(nodes) <= 40
    assert set(view.best) <= set(nodes)
    for agent_id in nodes:  # every node drawn hangs from the seed
        parent = snapshot.agents[agent_id].parent
        assert parent is None or (parent, agent_id) in edges
    note = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert f"showing {len(nodes)} of" in note


def test_progress_numbers_match_the_records(snapshot: Snapshot, tmp_path: Path):
    plot.write_plots(snapshot, tmp_path)
    with (tmp_path / "progress.csv").open() as f:
        rows = list(csv.DictReader(f))
    records = [a.record.data for a in snapshot.agents.values()]
    generations = max(r["generation"] for r in records) + 1
    assert [int(r["generation"]) for r in rows] == list(range(generations))
    best_so_far = 0.0
    for row in rows:
        gen = int(row["generation"])
        mine = [r for r in records if r["generation"] == gen]
        scores = [r["score"] for r in mine if r["status"] == "evaluated"]
        cost = sum(r.get(part, {}).get("cost_usd", 0.0) for r in mine for part in ("creation", "evaluation"))
        assert int(row["agents"]) == len(mine) and int(row["admitted"]) == len(scores)
        assert float(row["cost_usd"]) == pytest.approx(cost, abs=1e-5)
        if scores:
            best_so_far = max(best_so_far, *scores)
            assert float(row["best"]) == pytest.approx(max(scores))
            assert float(row["median"]) == pytest.approx(statistics.median(scores))
            assert float(row["best_so_far"]) == pytest.approx(best_so_far)
        else:
            assert row["best"] == row["median"] == ""

    chart = ET.parse(tmp_path / "progress.svg").getroot()
    groups = {g.get("id"): g for g in chart.iter(f"{SVG}g") if g.get("id")}
    assert {"best", "median", "best_so_far", "cost"} <= set(groups)
    best_line = groups["best"].find(f"{SVG}path").get("d")
    assert best_line.count("L") + 1 == sum(1 for r in rows if r["best"])  # one vertex per scored generation
    bars = [g for g in chart.iter(f"{SVG}g") if g.get("id") == "cost"]
    assert len(bars) == generations  # one cost bar per generation
    assert (tmp_path / "progress.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_graphviz_is_one_clear_error(snapshot: Snapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a real lookup that finds no `dot`
    with pytest.raises(plot.GraphvizMissing, match=r"apt-get install graphviz\) or use --engine tree$"):
        plot.render_tree(plot.select_tree(snapshot, engine="dot"))
    view = plot.select_tree(snapshot)  # auto falls back to igraph
    assert view.engine == "tree" and plot.render_tree(view).count(b'class="node') == len(view.shown)


def test_plot_command_writes_the_files(archive_200: Path, tmp_path: Path):
    out = tmp_path / "plots"
    result = CliRunner().invoke(plot_command, ["-C", str(archive_200), "--out", str(out), "--max-nodes", "30"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "laid out with dot; showing" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["progress.csv", "progress.png", "progress.svg", "tree.svg"]
    assert len(svg_graph(out / "tree.svg")[0]) <= 30
