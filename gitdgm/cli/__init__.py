"""The ``gitdgm`` command line: thin click commands, one module per command group (``main`` assembles them)."""

from gitdgm.cli.main import cli, main

__all__ = ["cli", "main"]
