"""Parse the KEY=value lines of a .env file."""


def parse_env(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, value = line.split("=")
        values[key] = value
    return values
