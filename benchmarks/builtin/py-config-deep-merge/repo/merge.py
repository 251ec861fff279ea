"""Merging of configuration dictionaries."""


def merge(base: dict, override: dict) -> dict:
    """Return base overlaid with override."""
    result = base
    for key, value in override.items():
        result[key] = value
    return result
