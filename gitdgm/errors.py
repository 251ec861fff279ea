"""The one family of errors the CLI turns into a one-line message and an exit code.

Anything else that escapes is a bug: the CLI prints it as such (exit 3) and shows the
traceback only when ``GITDGM_DEBUG=1``.
"""


class GitdgmError(Exception):
    """A failure the user can act on; ``str(error)`` is the whole message."""

    exit_code = 1


class ConfigError(GitdgmError):
    """gitdgm.toml, a task.toml, an agent.toml or a script file is invalid."""


class ArchiveError(GitdgmError):
    """The archive is missing, damaged, or an agent cannot be resolved."""


class BudgetExceeded(GitdgmError):
    """The configured token or dollar budget is spent; the step stops cleanly."""

    exit_code = 4


class SandboxError(GitdgmError):
    """The sandbox backend cannot run (no daemon, no image, bad limits)."""


class InfrastructureError(GitdgmError):
    """Attempts failed for reasons that are not the agents' (DESIGN §12): nothing was scored against an agent,
    and the attempts stay to be run again by the next ``gitdgm step`` or ``gitdgm eval``."""

    exit_code = 6


class ModelUnavailable(InfrastructureError):
    """The model cannot be reached (or refuses gitdgm's key): the command stops before it blames anyone."""


class LockedError(GitdgmError):
    """Another gitdgm step holds the archive's lock."""

    exit_code = 5
