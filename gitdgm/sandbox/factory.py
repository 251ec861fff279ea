"""Choosing a backend: ``auto`` takes docker when the daemon answers and the image is there."""

from __future__ import annotations

import logging
from typing import Any

from gitdgm.errors import SandboxError
from gitdgm.sandbox.base import Sandbox

log = logging.getLogger("gitdgm.sandbox")
KINDS = ("auto", "docker", "process")


def open_sandbox(kind: str, **options: Any) -> Sandbox:
    """A backend by name; options go to its constructor (docker: image, cpus, memory, pids_limit...)."""
    from gitdgm.sandbox.process import ProcessSandbox

    if kind not in KINDS:
        raise SandboxError(f"unknown sandbox kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "process":
        return ProcessSandbox(**_only(options, "pids_limit", "quiet"))
    from gitdgm.sandbox.container import DockerSandbox, probe

    if kind == "docker":
        return DockerSandbox(**options)
    status = probe(options.get("image"))
    if status.usable:
        return DockerSandbox(**options)
    log.warning("sandbox auto: %s; using the process sandbox", status.reason)
    return ProcessSandbox(**_only(options, "pids_limit", "quiet"))


def _only(options: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: options[name] for name in names if name in options}
