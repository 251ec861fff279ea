"""``gitdgm model check``: parse options, call ``check_model``, print its report (logic: gateway/check.py)."""

from __future__ import annotations

from pathlib import Path

import click

from gitdgm.cli.options import archive_option, json_option, open_archive, print_json
from gitdgm.config import Config
from gitdgm.errors import ArchiveError


@click.group(name="model")
def model_group() -> None:
    """The model server gitdgm.toml points at."""


@model_group.command(name="check")
@archive_option(
    default=None,
    help="The archive whose gitdgm.toml to use (default: the current directory's; outside "
    "an archive, gitdgm's defaults).",
)
@click.option("--base-url", help="Probe this OpenAI-compatible base URL instead of model.base_url.")
@click.option("--model", help="Probe this model instead of the agent's.")
@json_option()
def check_command(archive_path: str | None, base_url: str | None, model: str | None, as_json: bool) -> None:
    """Probe the model server: what works (ok / no / unknown, with the evidence) and the settings to use.

    A few tiny requests with the real key (model.api_key_env): the model list, a completion, max_tokens, a
    stream, a tool call with tool_choice "auto" and "required". Only when the model list states no context window
    (or only the model's training window) is an oversized prompt sent, which servers refuse before generating
    anything, most stating their window.
    Exit 0 when the agent can use the model, 6 when it cannot be reached, 1 when no completion works.

    \b
    Example:
      gitdgm model check
      gitdgm model check --base-url http://localhost:8080/v1 --model qwen2.5-coder-7b
    """
    from gitdgm.gateway.check import check_model, render

    config, root = _config(archive_path)
    report = check_model(config, root, base_url=base_url, model=model)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(render(report))
    if error := report.error():
        raise error


def _config(archive_path: str | None) -> tuple[Config, Path]:
    """The archive's config and the folder a ``scripted:`` path is relative to; outside an archive (when none was
    named), the defaults and the current directory."""
    from gitdgm.engine.services import archive_config

    try:
        archive = open_archive(archive_path or ".")
    except ArchiveError:
        if archive_path is not None:
            raise
        return Config(), Path.cwd()
    return archive_config(archive), archive.workdir or Path.cwd()


COMMANDS: tuple[click.Command, ...] = (model_group,)
