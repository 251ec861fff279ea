"""The engine: one step of the search (selection, diagnosis, self-modification, checks, evaluation) and the
services it runs on (sandbox, gateway, suite)."""
