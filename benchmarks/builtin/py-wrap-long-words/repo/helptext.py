"""Format the --help text of commands."""
from wrap import wrap


def format_help(description: str, width: int = 60) -> str:
    paragraphs = [p for p in description.split("\n\n") if p.strip()]
    blocks = ["\n".join(wrap(p, width, indent="  ")) for p in paragraphs]
    return "\n\n".join(blocks)
