"""Merging of configuration dictionaries."""
import copy


def merge(base: dict, override: dict) -> dict:
    """Return a new dict: base overlaid with override, nested dicts merged key by key.

    Neither argument is modified, and the result shares no mutable values with them.
    """
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
