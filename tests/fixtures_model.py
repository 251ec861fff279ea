"""Fixtures for the scripted upstream and the gateway (filled in by the gateway work)."""
