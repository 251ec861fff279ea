"""Where agent code runs: ``open_sandbox("docker" | "process" | "auto")`` gives a ``Sandbox``."""

from gitdgm.sandbox.base import RunResult, Sandbox
from gitdgm.sandbox.factory import open_sandbox

__all__ = ["RunResult", "Sandbox", "open_sandbox"]
