"""Human-readable durations for job summaries."""


def format_duration(seconds: float) -> str:
    total = int(seconds)
    hours = total // 3600
    minutes = total // 60
    secs = total % 60
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
