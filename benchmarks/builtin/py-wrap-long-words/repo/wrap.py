"""Greedy word wrapping for help text."""


def wrap(text: str, width: int, indent: str = "") -> list:
    """Wrap one paragraph into lines of at most width characters."""
    words = text.split()
    lines = []
    current = indent
    i = 0
    while i < len(words):
        word = words[i]
        candidate = word if not current.strip() else current + " " + word
        if len(candidate) <= width:
            current = candidate if current.strip() else current + word
            i += 1
        else:
            lines.append(current)
            current = ""
    if current.strip():
        lines.append(current)
    return lines
