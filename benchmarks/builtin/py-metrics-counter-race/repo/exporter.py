"""Render counters in the text format scraped by the monitoring system."""
from metrics import Metrics


def render(metrics: Metrics, prefix: str = "app") -> str:
    lines = [f"{prefix}_{name} {value}" for name, value in sorted(metrics.snapshot().items())]
    return "\n".join(lines) + "\n"
