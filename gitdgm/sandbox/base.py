"""What every sandbox backend shares: the protocol, the result, placeholders and the output cap."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gitdgm.errors import SandboxError

#: A run whose output passes this many times ``output_limit`` is killed: a 10 GB print must end quickly.
HARD_CAP_FACTOR = 10

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class RunResult:
    """How a sandboxed command ended. ``exit_code`` follows the shell: 128+N when killed by signal N."""

    exit_code: int
    timed_out: bool
    output: str
    output_truncated: bool
    duration: float
    output_exceeded: bool = False  # killed because its output passed the hard cap

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.output_exceeded


class Sandbox(Protocol):
    """Runs one command with limits; nothing it started is left running when ``run`` returns."""

    name: str
    isolates: bool

    def path(self, name: str) -> str:
        """Where mount ``name`` is, as text valid in ``command``, ``cwd`` and ``env`` of ``run``."""
        ...

    def run(
        self,
        command: Sequence[str],
        *,
        mounts: Mapping[str, Path],
        cwd: str,
        env: Mapping[str, str],
        timeout: float,
        socket: Path | None = None,
        output_limit: int = 1_000_000,
        read_only: Collection[str] = (),
    ) -> RunResult:
        """Run ``command`` with ``mounts`` (``read_only``: the names the run may not write, where the sandbox
        ``isolates``), the run's gateway ``socket`` folder read-only, and the limits."""
        ...


def check_run_args(mounts: Mapping[str, Path], timeout: float, output_limit: int) -> None:
    """Reject bad arguments with one line each, before anything starts."""
    if timeout <= 0:
        raise SandboxError(f"sandbox timeout must be positive, got {timeout}")
    if output_limit <= 0:
        raise SandboxError(f"sandbox output_limit must be positive, got {output_limit}")
    for name, host in mounts.items():
        if not re.fullmatch(r"\w+", name) or name == "socket":
            raise SandboxError(f"sandbox mount name {name!r} must be a word other than 'socket'")
        if not Path(host).is_dir():
            raise SandboxError(f"sandbox mount {name!r}: {host} is not a directory")


def substitute(text: str, paths: Mapping[str, str]) -> str:
    """Replace ``{name}`` by ``paths[name]``; other braces (``{}``, ``{x}`` for unknown x) stay as written."""
    return _PLACEHOLDER.sub(lambda m: paths.get(m[1], m[0]), text)


def resolve(
    command: Sequence[str], cwd: str, env: Mapping[str, str], paths: Mapping[str, str]
) -> tuple[list[str], str, dict[str, str]]:
    """Apply ``substitute`` to the command, working directory and environment values."""
    if not command:
        raise SandboxError("sandbox command is empty")
    return (
        [substitute(arg, paths) for arg in command],
        substitute(cwd, paths),
        {key: substitute(value, paths) for key, value in env.items()},
    )


class OutputCap:
    """Keeps the first ``limit`` bytes of a stream and notes when it passes ``limit * HARD_CAP_FACTOR``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._chunks: list[bytes] = []
        self._kept = 0

    def add(self, data: bytes) -> bool:
        """Record ``data``; False once the stream has passed the hard cap (the caller kills the run)."""
        self.total += len(data)
        if self._kept < self.limit:
            piece = data[: self.limit - self._kept]
            self._chunks.append(piece)
            self._kept += len(piece)
        return not self.exceeded

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    @property
    def exceeded(self) -> bool:
        return self.total > self.limit * HARD_CAP_FACTOR

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")
