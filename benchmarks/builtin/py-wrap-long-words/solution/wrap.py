"""Greedy word wrapping for help text."""


def wrap(text: str, width: int, indent: str = "") -> list:
    """Wrap one paragraph into lines of at most width characters, each starting with indent.

    A word longer than the room left by the indent is split into chunks that fill whole lines.
    """
    room = width - len(indent)
    if room < 1:
        raise ValueError("width must be larger than the indent")
    pieces = []
    for word in text.split():
        pieces.extend(word[i:i + room] for i in range(0, len(word), room))
    lines, current = [], ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) <= room:
            current += " " + piece
        else:
            if current:
                lines.append(indent + current)
            current = piece
    if current:
        lines.append(indent + current)
    return lines
