"""Building the sandbox image: from a debootstrap root filesystem (no registry needed) or from python:3.11-slim.

Python packages are downloaded as wheels on the host (with the host's pip configuration), and jest with its babel
preset is installed with the host's npm into a folder; the image takes both from the build context, so the
container build itself needs no network. debootstrap uses the host's apt mirror for bookworm.
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
from gitdgm.sandbox import toolchains
from gitdgm.sandbox.container import DEFAULT_IMAGE, connect

BASE_IMAGE = "gitdgm-base:bookworm"
REGISTRY_BASE = "python:3.11-slim"
TOOL_PACKAGES = ("git", "nodejs", "golang-go", "ca-certificates", *toolchains.DEBIAN_PACKAGES)  # apt, on any base
BOOTSTRAP_PACKAGES = ("python3", "python3-pip", "python3-pytest", "git", "nodejs", "golang-go", "ca-certificates")
PACKAGES_LABEL = "gitdgm.debian-packages"  # on the base image: reused only while the list is the same
PYTHON_PACKAGES = ("openai", "httpx", "pytest")
BASES = ("debootstrap", "registry")

Progress = Callable[[str], None]


def build_image(
    *,
    image: str = DEFAULT_IMAGE,
    base: str = "debootstrap",
    rebuild: bool = False,
    progress: Progress = lambda line: None,
) -> None:
    """Build ``image`` (reusing the debootstrap base image unless ``rebuild``)."""
    if base not in BASES:
        raise SandboxError(f"unknown image base {base!r}: use one of {', '.join(BASES)}")
    client = connect(timeout=900)
    base_ref = ensure_base(rebuild, progress) if base == "debootstrap" else REGISTRY_BASE
    with tempfile.TemporaryDirectory(prefix="gitdgm-image-") as context:
        dockerfile = resources.files("gitdgm") / "data" / "sandbox" / "Dockerfile"
        Path(context, "Dockerfile").write_bytes(dockerfile.read_bytes())
        download_wheels(Path(context, "wheels"), progress)
        node_packages(Path(context, "node"), progress)
        progress(f"building {image} from {base_ref}")
        args = {"BASE": base_ref, "PACKAGES": " ".join(TOOL_PACKAGES), "NODE_PREFIX": toolchains.NODE_PREFIX}
        try:
            for chunk in client.api.build(
                path=context, tag=image, buildargs=args, rm=True, forcerm=True, pull=base == "registry", decode=True
            ):
                if "error" in chunk:
                    raise SandboxError(f"sandbox image build failed: {chunk['error'].strip()}")
                if chunk.get("stream", "").strip():
                    progress(chunk["stream"].rstrip())
        except (APIError, BuildError) as error:
            raise SandboxError(f"sandbox image build failed: {str(error).splitlines()[0]}") from None
    progress(f"built {image}")


def ensure_base(rebuild: bool, progress: Progress) -> str:
    """The debootstrap base image, made (debootstrap + docker import) only when missing, made from another
    package list, or asked."""
    client = connect()
    wanted = ",".join((*BOOTSTRAP_PACKAGES, *toolchains.DEBIAN_PACKAGES))
    if not rebuild:
        try:
            labels = client.images.get(BASE_IMAGE).labels or {}
            if labels.get(PACKAGES_LABEL) == wanted:
                progress(f"reusing base image {BASE_IMAGE} (--rebuild to make it again)")
                return BASE_IMAGE
            progress(f"base image {BASE_IMAGE} lacks packages of this gitdgm: making it again")
        except ImageNotFound:
            pass
    if shutil.which("debootstrap") is None or shutil.which("docker") is None:
        raise SandboxError(
            "building the base image needs `debootstrap` and the `docker` CLI "
            "(apt-get install debootstrap docker.io), or use --base registry"
        )
    if os.geteuid() != 0:
        raise SandboxError("debootstrap needs root: run `gitdgm sandbox build` as root, or use --base registry")
    rootfs = Path(tempfile.mkdtemp(prefix="gitdgm-rootfs-"))
    try:
        mirror = apt_mirror()
        progress(f"debootstrap bookworm from {mirror or 'its default mirror'}; this takes a few minutes")
        _stream(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BOOTSTRAP_PACKAGES)}",
                "bookworm",
                str(rootfs),
                *([mirror] if mirror else []),
            ],
            progress,
        )
        chroot_install(rootfs, toolchains.DEBIAN_PACKAGES, progress)
        progress(f"importing the root filesystem as {BASE_IMAGE}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", "--change", f"LABEL {PACKAGES_LABEL}={wanted}", "-", BASE_IMAGE],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise SandboxError(f"docker import of the root filesystem failed: {imported.stderr.strip()[:300]}")
    finally:
        if not os.path.ismount(rootfs / "proc"):  # never delete through a mount of the host's /proc
            shutil.rmtree(rootfs, ignore_errors=True)
    return BASE_IMAGE


def chroot_install(rootfs: Path, packages: tuple[str, ...], progress: Progress) -> None:
    """apt-get inside the new root filesystem, from the mirror debootstrap wrote into it: apt resolves what
    debootstrap's resolver cannot (the virtual packages Debian's librust-*-dev depend on). /proc is mounted for
    the JDK's install scripts."""
    progress(f"installing the toolchains: {' '.join(packages)}")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}
    proc = rootfs / "proc"
    _stream(["mount", "-t", "proc", "proc", str(proc)], progress)
    try:
        for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                                                   *packages], ["apt-get", "clean"]):  # fmt: skip
            _stream(["chroot", str(rootfs), *argv], progress, env)
    finally:
        _stream(["umount", str(proc)], progress)
    shutil.rmtree(rootfs / "var" / "lib" / "apt" / "lists", ignore_errors=True)
    (rootfs / "var" / "lib" / "apt" / "lists" / "partial").mkdir(parents=True)


def apt_mirror() -> str | None:
    """The URI this machine's apt fetches bookworm's main component from (its mirror or proxy), if any."""
    try:
        listed = subprocess.run(
            ["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(COMPONENT)", "Identifier: Packages"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    for line in listed.stdout.splitlines():
        uri, _, rest = line.partition(" ")
        if rest == "bookworm main" and uri.startswith(("http://", "https://")):
            return uri
    return None


def node_packages(dest: Path, progress: Progress) -> None:
    """jest and the babel preset Exercism's JavaScript exercises run with, installed with the host's npm into the
    folder the Dockerfile copies to ``toolchains.NODE_PREFIX``; without npm, an empty folder and a warning."""
    progress(f"installing npm packages: {' '.join(toolchains.NPM_PACKAGES)}")
    try:
        toolchains.install_node_packages(dest)
    except SandboxError as error:
        if shutil.which("npm") is not None:
            raise
        progress(f"warning: {error}; JavaScript Polyglot exercises will grade as error in this image")
        dest.mkdir(parents=True, exist_ok=True)


def download_wheels(dest: Path, progress: Progress) -> None:
    """Wheels for the image's Python 3.11 on x86-64 Linux, plus the requirements file the Dockerfile installs."""
    dest.mkdir()
    progress(f"downloading wheels: {' '.join(PYTHON_PACKAGES)}")
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--dest",
        str(dest),
        "--only-binary=:all:",
        "--python-version",
        "3.11",
        "--implementation",
        "cp",
        "--platform",
        "manylinux_2_28_x86_64",
        "--platform",
        "manylinux_2_17_x86_64",
        "--platform",
        "manylinux2014_x86_64",
        *PYTHON_PACKAGES,
    ]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SandboxError(f"pip download of {', '.join(PYTHON_PACKAGES)} failed: {last}")
    (dest / "requirements.txt").write_text("\n".join(PYTHON_PACKAGES) + "\n")


def _stream(argv: list[str], progress: Progress, env: dict[str, str] | None = None) -> None:
    """Run a command, passing each output line to ``progress``; its last lines become the error."""
    tail: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            progress(line.rstrip())
            tail = [*tail, line.strip()][-3:]
    if proc.returncode != 0:
        raise SandboxError(f"{argv[0]} failed (exit {proc.returncode}): {' | '.join(tail)}")
