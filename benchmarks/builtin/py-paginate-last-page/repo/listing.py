"""Render a page of names the way the CLI prints it."""
from pager import paginate


def render(names: list, page: int, per_page: int = 10) -> str:
    p = paginate(names, page, per_page)
    lines = [f"- {n}" for n in p.items]
    lines.append(f"page {p.number}/{p.total_pages}" + (" (more)" if p.has_next else ""))
    return "\n".join(lines)
