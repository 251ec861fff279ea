"""``--budget`` of ``step`` and ``run``: dollars or tokens on the command line, applied to the archive's config."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import click

from gitdgm.cli.options import FC
from gitdgm.config import Config, unpriced_budget
from gitdgm.errors import ConfigError


def budget_option(help: str) -> Callable[[FC], FC]:
    """``--budget``: one spelling for a step's and a run's spending limit."""
    return click.option("--budget", help=help)


def parse_budget(text: str) -> tuple[float, int]:
    """``5``, ``$5`` or ``5usd`` → dollars; ``200000tokens`` or ``2e5tok`` → tokens."""
    value = text.strip().lower()
    try:
        for suffix in ("tokens", "tok"):
            if value.endswith(suffix):
                return 0.0, int(float(value[: -len(suffix)]))
        return float(value.lstrip("$").removesuffix("usd")), 0
    except ValueError:
        raise ConfigError(f"--budget {text!r}: give dollars (5, $5, 5usd) or tokens (200000tokens)") from None


def with_budget(config: Config, budget: str | None) -> Config:
    """``config`` with ``--budget`` in place of gitdgm.toml's; a dollar budget needs the model's prices."""
    if not budget:
        return config
    usd, tokens = parse_budget(budget)
    config = dataclasses.replace(config, budget=dataclasses.replace(config.budget, max_usd=usd, max_tokens=tokens))
    if why := unpriced_budget(config):
        raise ConfigError(f"--budget {budget}: {why.removeprefix(f'budget.max_usd = {usd} but ')}")
    return config


def spent(config: Config, cost_usd: float) -> Config:
    """``config`` with a dollar budget lowered by what a step spent (the next step gets what is left)."""
    if not config.budget.max_usd:
        return config
    return dataclasses.replace(
        config, budget=dataclasses.replace(config.budget, max_usd=max(config.budget.max_usd - cost_usd, 1e-9))
    )
