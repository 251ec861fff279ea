"""Application settings: built-in defaults overlaid with the user's TOML file."""
import tomllib

from merge import merge

DEFAULTS = {
    "server": {"host": "0.0.0.0", "port": 8080, "tls": {"enabled": False, "cert": None}},
    "log": {"level": "info", "targets": ["stderr"]},
    "workers": 4,
}


def load_config(text: str) -> dict:
    user = tomllib.loads(text)
    return merge(DEFAULTS, user)
