"""``gitdgm sandbox build|check``: thin click commands over image.py and container.py."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from gitdgm.cli.options import FC, json_option, print_json
from gitdgm.sandbox.container import DEFAULT_IMAGE, DockerStatus, probe
from gitdgm.sandbox.image import BASES, build_image


def _image_option(help: str) -> Callable[[FC], FC]:
    """``--image``: the tag both commands talk about (gitdgm's own unless told)."""
    return click.option("--image", default=DEFAULT_IMAGE, show_default=True, help=help)


@click.group()
def sandbox() -> None:
    """Build and check the Docker sandbox agents run in."""


@sandbox.command()
@click.option("--rebuild", is_flag=True, help="Make the debootstrap base image again even if it exists.")
@click.option(
    "--base",
    type=click.Choice(BASES),
    default="debootstrap",
    show_default=True,
    help="debootstrap: a Debian root filesystem, no registry needed; registry: FROM python:3.11-slim.",
)
@_image_option("Tag of the image to build.")
def build(rebuild: bool, base: str, image: str) -> None:
    """Build the sandbox image.

    Example: gitdgm sandbox build --base debootstrap
    """
    build_image(image=image, base=base, rebuild=rebuild, progress=lambda line: click.echo(line, err=True))


@sandbox.command()
@_image_option("Image the docker sandbox would use.")
@json_option("Print the findings as JSON.")
def check(image: str, as_json: bool) -> None:
    """Say which backend `auto` would use and why; exit 0 when docker is usable, 1 otherwise.

    Example: gitdgm sandbox check --json
    """
    status = probe(image)
    if as_json:
        print_json(status_record(status), indent=None)
    else:
        click.echo(describe(status))
    sys.exit(0 if status.usable else 1)


def status_record(status: DockerStatus) -> dict[str, object]:
    """The findings as one JSON object, for scripts that pick a backend."""
    return {
        "backend": "docker" if status.usable else "process",
        "daemon": status.daemon,
        "image": status.image,
        "image_present": status.image_present,
        "reason": status.reason,
    }


def describe(status: DockerStatus) -> str:
    """The findings as one line: the backend ``auto`` picks and why."""
    backend = "docker" if status.usable else "process (does not isolate)"
    return f"auto sandbox: {backend}: {status.reason}"


COMMANDS: tuple[click.Command, ...] = (sandbox,)
