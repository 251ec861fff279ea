"""Human-readable durations for job summaries."""


def format_duration(seconds: float) -> str:
    if seconds < 0:
        raise ValueError(f"negative duration: {seconds}")
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
