"""Helpers for the tests and benchmarks only: never part of the installed package."""
