"""The FM gateway: sandboxed agents reach the model only through it (see server.py).

``fake.py`` is the scripted upstream used by tests and ``gitdgm demo``.
"""

from gitdgm.gateway.accounting import Budget, Usage
from gitdgm.gateway.calls import CallLimits
from gitdgm.gateway.server import Gateway, RunEndpoint
from gitdgm.gateway.upstream import RetryPolicy

__all__ = ["Budget", "CallLimits", "Gateway", "RetryPolicy", "RunEndpoint", "Usage"]
