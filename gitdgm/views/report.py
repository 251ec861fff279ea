"""``gitdgm report``: one self-contained HTML file to browse the archive (no server, nothing fetched at view time).

The tree SVG, the progress chart SVG, CSS, JS and the agents' data (as embedded JSON) are all inlined. Every agent
gets a summary row; full details (record, problem statement, diff, per-task results) are embedded for at most
``details`` agents — the best lineage first, then the best-scoring — so 10,000 agents stay a page of a few MB.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from gitdgm import __version__
from gitdgm.archive import Archive, Snapshot
from gitdgm.views import plot
from gitdgm.views.model import agent_row, best_path, clade_evidence, show_data

DIFF_LIMIT = 200_000  # characters of one agent's diff embedded in the page
ROW_KEYS = (
    "id",
    "commit",
    "parent",
    "generation",
    "status",
    "score",
    "resolved",
    "attempted",
    "children",
    "cost_usd",
    "summary",
)


def detail_ids(snapshot: Snapshot, limit: int) -> list[str]:
    """The agents whose full details are embedded: the best lineage, then by score, then the rest by generation."""
    on_path = best_path(snapshot)
    rest = sorted(
        (a for a in snapshot.agents.values() if a.id not in set(on_path)),
        key=lambda a: (a.score is None, -(a.score or 0.0), snapshot.generation_of(a), a.id),
    )
    return (on_path + [a.id for a in rest])[: max(0, limit)]


def agent_details(archive: Archive, snapshot: Snapshot, agent_id: str) -> dict[str, Any]:
    data = show_data(archive, snapshot, snapshot.agents[agent_id])
    diff = data["diff"]
    return {
        "subject": data["subject"],
        "problem_statement": data["problem_statement"],
        "trailers": data["trailers"],
        "record": data["record"],
        "diff": diff[:DIFF_LIMIT],
        "diff_truncated": len(diff) > DIFF_LIMIT,
    }


def report_data(archive: Archive, snapshot: Snapshot, view: plot.TreeView, details: int) -> dict[str, Any]:
    clades = clade_evidence(snapshot)
    rows = [
        {k: agent_row(snapshot, a)[k] for k in ROW_KEYS} | {"clade": clades[a.id]} for a in snapshot.agents.values()
    ]
    rows.sort(key=lambda r: (r["generation"], r["id"]))
    return {
        "meta": {
            "archive": archive.path.name,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "gitdgm_version": __version__,
            "agents": len(rows),
            "tree_note": view.note,
            "tree_shown": len(view.shown),
            "tree_engine": view.engine,
            "details_limit": details,
        },
        "best_path": view.best,
        "agents": rows,
        "details": {i: agent_details(archive, snapshot, i) for i in detail_ids(snapshot, details)},
        "progress": plot.progress_rows(snapshot),
    }


def _inline_svg(svg: str) -> str:
    """An SVG document as an element for an HTML page: no XML prolog, doctype or comments."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>", "", svg)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL).strip()


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script>: no '<' can end the element early."""
    return json.dumps(data, separators=(",", ":"), default=str).replace("<", "\\u003c")


def _template(name: str) -> str:
    return resources.files("gitdgm").joinpath("templates", name).read_text(encoding="utf-8")


def render_report(
    archive: Archive,
    snapshot: Snapshot,
    out: Path,
    *,
    rejected: bool = False,
    max_nodes: int = 2000,
    details: int = 500,
    engine: str = "auto",
) -> Path:
    """Write ``out/report.html`` and return its path."""
    view = plot.select_tree(snapshot, rejected=rejected, max_nodes=max_nodes, engine=engine)
    tree_svg = _inline_svg(plot.render_tree(view).decode("utf-8"))
    chart = io.StringIO()
    plot.progress_figure(plot.progress_rows(snapshot)).savefig(chart, format="svg", metadata={"Date": None})
    parts = {
        "/*CSS*/": _template("report.css"),
        "/*JS*/": _template("report.js"),
        "<!--TREE-->": tree_svg,
        "<!--PROGRESS-->": _inline_svg(chart.getvalue()),
        "/*DATA*/": _json_for_script(report_data(archive, snapshot, view, details)),
    }
    pattern = "|".join(re.escape(marker) for marker in parts)  # one pass: inserted text is never re-scanned
    html = re.sub(pattern, lambda m: parts[m.group(0)], _template("report.html"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
