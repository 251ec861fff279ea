"""Text helpers for building post URLs."""
import re
import unicodedata


def slugify(title: str, max_length: int = 60) -> str:
    """Lower-case ASCII slug for a URL path segment."""
    text = unicodedata.normalize("NFKD", title)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "untitled"
