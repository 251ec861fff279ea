"""What ``ls``, ``show`` and ``tree`` print: plain data for ``--json`` and rich renderables for people."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from gitdgm.archive import Agent, Archive, Snapshot, parse_trailers
from gitdgm.engine.hgm import clade_counts
from gitdgm.engine.state import SearchState


def agent_row(snapshot: Snapshot, agent: Agent) -> dict[str, Any]:
    record = agent.info
    return {
        "id": agent.id,
        "commit": agent.commit,
        "parent": agent.parent,
        "generation": snapshot.generation_of(agent),
        "status": agent.status,
        "score": agent.score,
        "resolved": record.get("resolved"),
        "attempted": record.get("attempted"),
        "children": len(agent.children),
        "ref": agent.ref,
        "cost_usd": record.get("cost_usd"),
        "summary": agent.summary,
    }


def clade_evidence(snapshot: Snapshot) -> dict[str, str]:
    """Each agent's clade evidence, ``resolved/tasks`` over it and its descendants: what hgm chooses parents by."""
    return {agent: f"{s}/{n}" for agent, (s, n) in clade_counts(SearchState.from_snapshot(snapshot, ())).items()}


def sorted_agents(snapshot: Snapshot, sort: str = "generation") -> list[Agent]:
    keys = {
        "generation": lambda a: (snapshot.generation_of(a), a.id),
        "score": lambda a: (-(a.score if a.score is not None else -1), a.id),
        "id": lambda a: a.id,
        "children": lambda a: (-len(a.children), a.id),
    }
    return sorted(snapshot.agents.values(), key=keys[sort])


def ls_table(snapshot: Snapshot, agents: list[Agent], width: int = 120) -> Table:
    """The agents table; only the summary column gives way on a narrow terminal."""
    table = Table(box=None, header_style="bold")
    fixed = {"id": 12, "parent": 12, "gen": 3, "score": 5, "children": 8, "status": 10}
    for column, size in fixed.items():
        table.add_column(
            column, justify="right" if column in ("gen", "score", "children") else "left", no_wrap=True, width=size
        )
    table.add_column("summary", no_wrap=True, overflow="ellipsis", max_width=max(10, min(60, width - 66)))
    for agent in agents:
        row = agent_row(snapshot, agent)
        table.add_row(
            agent.id,
            agent.parent or "-",
            str(row["generation"]),
            _score_text(agent),
            str(row["children"]),
            _status_text(agent.status),
            Text(agent.summary, overflow="ellipsis"),
        )
    return table


def show_data(archive: Archive, snapshot: Snapshot, agent: Agent) -> dict[str, Any]:
    message = archive.message(agent.commit)
    subject, _, rest = message.partition("\n")
    trailers = parse_trailers(message)
    body = rest.strip()
    if trailers:
        body = body.rsplit("\n\n", 1)[0] if "\n\n" in body else ""
    parent_commit = snapshot.agents[agent.parent].commit if agent.parent else None
    return {
        **agent_row(snapshot, agent),
        "clade": clade_evidence(snapshot)[agent.id],
        "subject": subject,
        "problem_statement": body.strip(),
        "trailers": trailers,
        "record": agent.record.data if agent.record else None,
        "diff": archive.diff(parent_commit, agent.commit) if parent_commit else "",
    }


def show_renderable(data: dict[str, Any]) -> Group:
    head = Text.assemble(
        (f"agent {data['id']}", "bold yellow"),
        f"  ({data['status']})\n",
        f"parent {data['parent'] or '-'}   generation {data['generation']}   ",
        f"score {_fmt_score(data['score'], data['resolved'], data['attempted'])}   clade {data['clade']}\n\n",
        (data["subject"], "bold"),
        "\n",
    )
    parts: list[Any] = [head]
    reason = (data["record"] or {}).get("reason")
    if reason:
        parts.append(Text.assemble(("reason ", "bold"), reason, "\n"))
    if data["problem_statement"]:
        parts.append(Text(data["problem_statement"] + "\n"))
    record = data["record"] or {}
    attempts = sorted(record.get("tasks", {}).items()) + sorted(record.get("errors", {}).items())
    if attempts:
        table = Table("task", "outcome", "seconds", "note", box=None, header_style="bold")
        for task_id, result in attempts:
            table.add_row(
                task_id,
                _outcome_text(result.get("outcome", "?")),
                f"{result.get('duration', 0):.1f}",
                task_note(result),
            )
        parts.append(table)
    if data["diff"]:
        parts.append(Syntax(data["diff"], "diff", theme="ansi_dark", background_color="default"))
    return Group(*parts)


def best_path(snapshot: Snapshot) -> list[str]:
    """Ids from the seed to the best agent: the lineage the paper's figure highlights."""
    best = snapshot.best()
    path: list[str] = []
    while best is not None:
        path.append(best.id)
        best = snapshot.agents[best.parent] if best.parent else None
    return path[::-1]


def lineage_tree(snapshot: Snapshot, max_depth: int | None = None, show_rejected: bool = True) -> Tree:
    on_path = set(best_path(snapshot))
    seed = snapshot.seed()

    def label(agent: Agent) -> Text:
        marker = "★ " if agent.id in on_path else ""
        style = "bold green" if agent.id in on_path else ("dim" if agent.status == "rejected" else "")
        summary = agent.summary if len(agent.summary) <= 50 else agent.summary[:49] + "…"
        return Text.assemble(
            (marker + agent.id, style),
            "  ",
            _score_text(agent),
            "  ",
            _status_text(agent.status),
            "  ",
            (summary, "dim"),
            no_wrap=True,
        )

    root = Tree(label(seed))
    stack = [(seed, root, 0)]
    while stack:
        agent, node, depth = stack.pop()
        if max_depth is not None and depth >= max_depth:
            if agent.children:
                node.add(Text(f"… {len(agent.children)} more", style="dim"))
            continue
        for child_id in sorted(agent.children, reverse=True):
            child = snapshot.agents[child_id]
            if child.status == "rejected" and not show_rejected:
                continue
            stack.append((child, node.add(label(child)), depth + 1))
    return root


def _fmt_score(score: float | None, resolved: Any, attempted: Any) -> str:
    if score is None:
        return "-"
    return f"{score:.3f}" + (f" ({resolved}/{attempted})" if attempted else "")


def _score_text(agent: Agent) -> Text:
    if agent.score is None:
        return Text("-", style="dim")
    return Text(f"{agent.score:.3f}", style="green" if agent.score >= 0.5 else "yellow")


def _status_text(status: str) -> Text:
    styles = {"evaluated": "green", "rejected": "red", "pending": "cyan", "evaluating": "magenta"}
    return Text(status, style=styles.get(status, ""))


def task_note(result: dict[str, Any]) -> Text:
    """What else a task result says: the changes dropped from its patch as tampering, or why it was not taken."""
    tampering = result.get("tampering") or []
    if tampering:
        return Text(f"tampering dropped: {'; '.join(map(str, tampering))}", style="bold red")
    if result.get("outcome") == "error":
        return Text(f"not scored, to be run again: {result.get('why', '')}", style="yellow")
    return Text("; ".join(str(result[k]).replace("_", " ") for k in ("why", "reason") if result.get(k)))


def _outcome_text(outcome: str) -> Text:
    return Text(outcome, style={"resolved": "green", "error": "yellow"}.get(outcome, "red"))
