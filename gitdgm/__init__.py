"""gitdgm: a Darwin Gödel Machine whose archive is a git repository."""

__version__ = "0.1.0"
