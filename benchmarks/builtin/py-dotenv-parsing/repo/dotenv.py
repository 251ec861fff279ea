"""Load KEY=VALUE files (.env) into a dict."""


def parse_line(line: str):
    """Return (key, value) for one line, or None for blank lines and comments."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    key, value = line.split("=", 1)
    value = value.split("#", 1)[0]
    return key.strip(), value.strip()


def load_env(text: str) -> dict:
    env = {}
    for line in text.splitlines():
        parsed = parse_line(line)
        if parsed:
            env[parsed[0]] = parsed[1]
    return env
