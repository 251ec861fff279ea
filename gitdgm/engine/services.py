"""What a step or an eval needs running: the sandbox, the FM gateway (and the scripted model when asked)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TypeVar, overload

from gitdgm.archive import Archive
from gitdgm.config import CONFIG_FILE, AgentRoleConfig, Config, RoleConfig, load_config
from gitdgm.engine.progress import Progress
from gitdgm.gateway import Budget, Gateway, RetryPolicy
from gitdgm.gateway.listing import Listing, parse_listing
from gitdgm.gateway.tokens import DEFAULT_CONTEXT_WINDOW
from gitdgm.gateway.upstream import configured_upstream
from gitdgm.sandbox import Sandbox, open_sandbox, owner, reaper
from gitdgm.sandbox.readback import Limits
from gitdgm.sandbox.scratch import scratch_dir
from gitdgm.suites import Suite, load_suite

log = logging.getLogger("gitdgm")


@dataclass
class Runtime:
    archive: Archive
    config: Config
    sandbox: Sandbox
    gateway: Gateway
    suite: Suite
    progress: Progress = field(default_factory=Progress)
    _roles: dict[str, RoleConfig] = field(default_factory=dict)

    @property
    def repo_limits(self) -> Limits:
        """The caps on a repository an agent leaves behind (``[sandbox] max_repo_mb``, ``max_repo_files``)."""
        box = self.config.sandbox
        return Limits(max_files=box.max_repo_files, max_bytes=box.max_repo_mb * 2**20)

    @overload
    def role(self, which: Literal["agent"]) -> AgentRoleConfig: ...
    @overload
    def role(self, which: Literal["diagnosis"]) -> RoleConfig: ...
    def role(self, which: Literal["agent", "diagnosis"]) -> RoleConfig:
        """The role's settings as its calls use them (``resolve_role``), resolved once per runtime."""
        if which not in self._roles:
            if self.gateway.model_list is None:
                self.gateway.probe()
            listing = parse_listing(self.gateway.model_list) if self.gateway.model_list else None
            self._roles[which] = resolve_role(self.config.model.role(which), listing)
        return self._roles[which]


_Role = TypeVar("_Role", bound=RoleConfig)


def resolve_role(role: _Role, listing: Listing | None) -> _Role:
    """``role`` with its context window known (as set, else as the server's model list states, else the default)
    and its ``max_tokens`` at most half of it, so that a reply never takes the whole window."""
    window = role.context_window or (listing.window(role.name) if listing else None) or DEFAULT_CONTEXT_WINDOW
    return replace(role, context_window=window, max_tokens=min(role.max_tokens, window // 2))


def archive_config(archive: Archive) -> Config:
    return load_config(archive.default_branch_file(CONFIG_FILE), f"{CONFIG_FILE} (default branch)")


def make_sandbox(config: Config, kind: str | None = None) -> Sandbox:
    box = config.sandbox
    kind = kind or box.backend
    if kind == "process":
        return open_sandbox("process", pids_limit=box.pids)
    return open_sandbox(kind, image=box.image, cpus=box.cpus, memory=box.memory, pids_limit=box.pids)


@contextlib.contextmanager
def open_runtime(
    archive: Archive,
    config: Config | None = None,
    *,
    sandbox: str | None = None,
    suite: str | None = None,
    progress: Progress | None = None,
) -> Iterator[Runtime]:
    """Start the gateway (and scripted upstream) for the duration of the block; everything stops after it.

    First it claims this process's owner folder for the archive (every temporary folder of the block goes there)
    and ends what killed runs of the archive left (``sandbox/reaper.py``)."""
    config = config or archive_config(archive)
    suite_root = archive.workdir or Path.cwd()
    loaded_suite = load_suite(suite or config.eval.suite, root=suite_root)
    box = make_sandbox(config, sandbox)
    budget = Budget(max_tokens=config.budget.max_tokens or None, max_usd=config.budget.max_usd or None)
    prices = {model: (p[0], p[1]) for model, p in config.model.prices.items()}
    with contextlib.ExitStack() as stack:
        claim = stack.enter_context(owner.claim(owner.archive_key(archive.git_dir)))
        if close := getattr(box, "close", None):  # docker: the containers it started ahead go with the block
            stack.callback(close)
        if reaped := reaper.reap(claim, getattr(box, "client", None)):
            log.warning("gitdgm: %s", reaped)
        base_url, api_key = stack.enter_context(configured_upstream(config.model, suite_root))
        tmp = stack.enter_context(scratch_dir("gw-"))  # short: the sockets' paths must fit in 108 bytes
        gateway = stack.enter_context(
            Gateway(
                base_url,
                api_key,
                tmp / "gw",
                prices=prices,
                budget=budget,
                transcripts_dir=tmp / "transcripts",
                retry=RetryPolicy(attempts=config.model.retries + 1),
                upstream_timeout=config.model.request_timeout,
                concurrency=config.model.concurrency,
            )
        )
        yield Runtime(archive, config, box, gateway, loaded_suite, progress or Progress())
