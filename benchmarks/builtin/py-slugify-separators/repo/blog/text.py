"""Text helpers for building post URLs."""
import unicodedata


def slugify(title: str, max_length: int = 60) -> str:
    """Lower-case ASCII slug for a URL path segment."""
    text = unicodedata.normalize("NFKD", title)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    out = []
    for ch in text:
        out.append(ch if ch.isalnum() else "-")
    return "".join(out)[:max_length]
