"""One-line summary printed when a job ends."""
from timefmt import format_duration


def summary(name: str, started: float, ended: float, ok: bool) -> str:
    state = "ok" if ok else "FAILED"
    return f"{name}: {state}, took {format_duration(ended - started)}"
