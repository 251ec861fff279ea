"""Where gitdgm's own files are: its templates, and the seed agent and the builtin suite: in the installed package,
or in the checkout it runs from.

A wheel carries them as package data under ``gitdgm/data/`` (``setup.py`` copies them there at build time, from
the folders named in ``CHECKOUT_PATHS``); an editable install or a checkout on ``PYTHONPATH`` reads them in place.
An environment variable, checked by the caller, overrides both.
"""

from __future__ import annotations

from pathlib import Path

from gitdgm.errors import ConfigError

# name in the package's data folder -> folder in a checkout (setup.py's BUNDLES must say the same)
CHECKOUT_PATHS = {"seed_agent": "seed_agent", "builtin": "benchmarks/builtin"}
PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"  # prompts, the default gitdgm.toml, the CI workflow, the report's page


def bundled_dir(name: str, override_env: str) -> Path:
    """The folder ``name`` came with: the package's copy, else the checkout's; a clear error naming the override
    when neither is there (a build that left it out)."""
    for candidate in (PACKAGE / "data" / name, PACKAGE.parent / CHECKOUT_PATHS[name]):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"this gitdgm installation has no {CHECKOUT_PATHS[name]} (looked in {PACKAGE / 'data'}): "
        f"reinstall gitdgm from a wheel or a checkout, or set {override_env} to such a folder"
    )
