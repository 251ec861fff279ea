"""Choosing a backend: ``auto`` takes docker when the daemon answers and the image is there."""

from __future__ import annotations

import logging
from typing import Any

from gitdgm.errors import SandboxError
from gitdgm.sandbox.base import Sandbox

log = logging.getLogger("gitdgm.sandbox")
KINDS = ("auto", "docker", "process")
_PROCESS_OPTIONS = {"pids_limit", "quiet"}
_DOCKER_OPTIONS = {"image", "cpus", "memory", "pids_limit", "tmp_size"}


def open_sandbox(kind: str, **options: Any) -> Sandbox:
    """A backend by name. Options: image, cpus, memory, tmp_size (docker); pids_limit (both); quiet (process).

    Options the chosen backend does not use are ignored, so one set of options serves ``auto``.
    """
    if kind not in KINDS:
        raise SandboxError(f"unknown sandbox kind {kind!r}: use one of {', '.join(KINDS)}")
    unknown = set(options) - _PROCESS_OPTIONS - _DOCKER_OPTIONS
    if unknown:
        raise SandboxError(f"unknown sandbox option(s) {', '.join(sorted(unknown))}")
    if kind != "process":
        from gitdgm.sandbox.container import DockerSandbox, probe

        status = probe(options.get("image")) if kind == "auto" else None
        if status is None or status.usable:
            return DockerSandbox(**_only(options, _DOCKER_OPTIONS))
        log.warning("sandbox auto: %s; using the process sandbox", status.reason)
    from gitdgm.sandbox.process import ProcessSandbox

    return ProcessSandbox(**_only(options, _PROCESS_OPTIONS))


def _only(options: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if name in names}
