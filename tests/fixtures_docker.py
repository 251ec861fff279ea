"""Fixtures for docker tests (filled in by the sandbox work)."""
