"""Building the sandbox image: from a debootstrap root filesystem (no registry needed) or from python:3.11-slim.

Python packages are downloaded as wheels on the host (with the host's pip configuration) and installed in the
image from that local directory, so the container build itself needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from docker.errors import APIError, BuildError, ImageNotFound

from gitdgm.errors import SandboxError
from gitdgm.sandbox.container import DEFAULT_IMAGE, connect

BASE_IMAGE = "gitdgm-base:bookworm"
REGISTRY_BASE = "python:3.11-slim"
DEBIAN_PACKAGES = "python3,python3-pip,python3-pytest,git,nodejs,golang-go,ca-certificates"
PYTHON_PACKAGES = ("openai", "httpx", "pytest")
BASES = ("debootstrap", "registry")

Progress = Callable[[str], None]


def build_image(*, image: str = DEFAULT_IMAGE, base: str = "debootstrap", rebuild: bool = False,
                progress: Progress = lambda line: None) -> None:
    """Build ``image`` (reusing the debootstrap base image unless ``rebuild``)."""
    if base not in BASES:
        raise SandboxError(f"unknown image base {base!r}: use one of {', '.join(BASES)}")
    client = connect(timeout=900)
    base_ref = ensure_base(rebuild, progress) if base == "debootstrap" else REGISTRY_BASE
    with tempfile.TemporaryDirectory(prefix="gitdgm-image-") as context:
        dockerfile = resources.files("gitdgm") / "data" / "sandbox" / "Dockerfile"
        Path(context, "Dockerfile").write_bytes(dockerfile.read_bytes())
        download_wheels(Path(context, "wheels"), progress)
        progress(f"building {image} from {base_ref}")
        try:
            for chunk in client.api.build(path=context, tag=image, buildargs={"BASE": base_ref}, rm=True,
                                          forcerm=True, pull=base == "registry", decode=True):
                if "error" in chunk:
                    raise SandboxError(f"sandbox image build failed: {chunk['error'].strip()}")
                if chunk.get("stream", "").strip():
                    progress(chunk["stream"].rstrip())
        except (APIError, BuildError) as error:
            raise SandboxError(f"sandbox image build failed: {str(error).splitlines()[0]}") from None
    progress(f"built {image}")


def ensure_base(rebuild: bool, progress: Progress) -> str:
    """The debootstrap base image, made (debootstrap + docker import) only when missing or asked."""
    client = connect()
    if not rebuild:
        try:
            client.images.get(BASE_IMAGE)
            progress(f"reusing base image {BASE_IMAGE} (--rebuild to make it again)")
            return BASE_IMAGE
        except ImageNotFound:
            pass
    if shutil.which("debootstrap") is None or shutil.which("docker") is None:
        raise SandboxError("building the base image needs `debootstrap` and the `docker` CLI "
                           "(apt-get install debootstrap docker.io), or use --base registry")
    if os.geteuid() != 0:
        raise SandboxError("debootstrap needs root: run `gitdgm sandbox build` as root, or use --base registry")
    rootfs = Path(tempfile.mkdtemp(prefix="gitdgm-rootfs-"))
    try:
        progress(f"debootstrap bookworm ({DEBIAN_PACKAGES}); this takes a minute or two")
        _stream(["debootstrap", "--variant=minbase", f"--include={DEBIAN_PACKAGES}", "bookworm", str(rootfs)],
                progress)
        progress(f"importing the root filesystem as {BASE_IMAGE}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["docker", "import", "-", BASE_IMAGE], stdin=tar.stdout,
                                  capture_output=True, text=True)
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise SandboxError(f"docker import of the root filesystem failed: {imported.stderr.strip()[:300]}")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    return BASE_IMAGE


def download_wheels(dest: Path, progress: Progress) -> None:
    """Wheels for the image's Python 3.11 on x86-64 Linux, plus the requirements file the Dockerfile installs."""
    dest.mkdir()
    progress(f"downloading wheels: {' '.join(PYTHON_PACKAGES)}")
    argv = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest), "--only-binary=:all:",
            "--python-version", "3.11", "--implementation", "cp", "--platform", "manylinux_2_28_x86_64",
            "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64", *PYTHON_PACKAGES]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SandboxError(f"pip download of {', '.join(PYTHON_PACKAGES)} failed: {last}")
    (dest / "requirements.txt").write_text("\n".join(PYTHON_PACKAGES) + "\n")


def _stream(argv: list[str], progress: Progress) -> None:
    """Run a command, passing each output line to ``progress``; its last lines become the error."""
    tail: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            progress(line.rstrip())
            tail = (tail + [line.strip()])[-3:]
    if proc.returncode != 0:
        raise SandboxError(f"{argv[0]} failed (exit {proc.returncode}): {' | '.join(tail)}")
