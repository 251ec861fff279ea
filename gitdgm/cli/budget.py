"""The budgets and policy of ``step``, ``run`` and ``demo``: ``--budget`` (dollars or tokens), ``--max-evals``,
``--workers`` and ``--policy`` on the command line, applied to the archive's config."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import click

from gitdgm.cli.options import FC
from gitdgm.config import POLICY_NAMES, Config, unpriced_budget
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


def policy_option(default: str | None = None) -> Callable[[FC], FC]:
    """``--policy``: one of gitdgm.toml's ``selection.policy`` names (default: the archive's)."""
    if default is None:
        return click.option(
            "--policy", type=click.Choice(POLICY_NAMES), help="Search policy (default: selection.policy)."
        )
    return click.option(
        "--policy", type=click.Choice(POLICY_NAMES), default=default, show_default=True, help="Search policy."
    )


def search_options(func: FC) -> FC:
    """``--policy``, ``--max-evals`` and ``--workers``: what searches and how much, over gitdgm.toml's."""
    func = click.option("--workers", type=click.IntRange(min=1), help="Jobs at once (default: search.workers).")(func)
    func = click.option(
        "--max-evals", type=click.IntRange(min=1), help="Stop after this many task evaluations (the budget)."
    )(func)
    return policy_option()(func)


def with_policy(config: Config, policy: str | None) -> Config:
    """``config`` with ``--policy`` in place of gitdgm.toml's ``selection.policy``."""
    if not policy:
        return config
    return dataclasses.replace(config, selection=dataclasses.replace(config.selection, policy=policy))  # type: ignore[arg-type]
