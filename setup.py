"""The build step that puts the seed agent and the builtin suite into the wheel, as package data.

They live at the top of the checkout (``seed_agent/``, ``benchmarks/builtin/``), where people read and change
them; a wheel has no checkout, so the build copies them to ``gitdgm/data/`` (what ``gitdgm/bundled.py`` reads).
Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLES = {"seed_agent": "seed_agent", "builtin": "benchmarks/builtin"}  # as gitdgm.bundled.CHECKOUT_PATHS
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


class BuildWithBundles(build_py):
    """``build_py`` that also copies each bundle into the built package (not in editable mode: a checkout has
    them in place)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name, source in BUNDLES.items():
            target = Path(self.build_lib) / "gitdgm" / "data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=LEFT_OUT)


setup(cmdclass={"build_py": BuildWithBundles})
