"""What the sandbox provides for compiled and npm-tested languages, and where: one list that the image build,
``.ci/run`` (for the process sandbox) and the Polyglot test commands all read, so they cannot drift apart.

Everything comes from Debian packages and the npm registry, fetched when the image is built: a test command
never reaches a network (the docker sandbox has none), so each exercise that needs anything else (a crate from
crates.io, a Maven artefact) is skipped by the suite loader, never graded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitdgm.errors import SandboxError

#: Debian packages beyond Python, git, node and go: C++ (with a prebuilt Catch2 main, and Boost's date_time for
#: two exercises), Rust (rustc-web is
#: bookworm's current compiler; its rustc 1.63 is too old for the exercises' edition-2021 code), the crates
#: below, and Java (javac, JUnit 5's console launcher and AssertJ instead of Gradle, which would download both).
DEBIAN_PACKAGES = (
    "g++", "make", "cmake", "catch2", "libboost-date-time-dev",
    "rustc-web", "cargo-web", "librust-anyhow-dev", "librust-rand-dev", "librust-time-dev",
    "default-jdk-headless", "junit5", "libassertj-core-java",
)  # fmt: skip

#: CMake packages a C++ exercise may require: {name: (its components here, a file that shows it is installed)}.
CMAKE_PACKAGES = {
    "Catch2": (frozenset(), "/usr/lib/cmake/Catch2/Catch2Config.cmake"),
    "Boost": (frozenset({"date_time"}), "/usr/include/boost/date_time.hpp"),
    "Threads": (frozenset(), "/usr/include/pthread.h"),
}

#: Crates Debian packages (``librust-*-dev``, in ``CRATE_REGISTRY``) with the version bookworm ships.
RUST_CRATES = {"anyhow": "1.0.69", "rand": "0.8.5", "time": "0.3.9"}
CRATE_REGISTRY = "/usr/share/cargo/registry"

#: Java: the console launcher (its manifest names the JUnit engines) and what tests compile against.
JUNIT_LAUNCHER = "/usr/share/java/junit-platform-console-standalone.jar"
JAVA_CLASSPATH = tuple(f"/usr/share/java/{jar}.jar" for jar in (
    "junit-jupiter-api", "junit-jupiter-params", "junit-platform-commons", "opentest4j", "apiguardian-api",
    "assertj-core", "byte-buddy",
))  # fmt: skip
#: Maven artefacts (group:artifact) the launcher and classpath above stand for.
JAVA_ARTEFACTS = frozenset({"org.junit:junit-bom", "org.junit.jupiter:junit-jupiter", "org.assertj:assertj-core"})

#: JavaScript: jest with Exercism's babel preset, installed from npm into a folder outside every repository.
NODE_PREFIX = "/opt/gitdgm/node"
NODE_MODULES = f"{NODE_PREFIX}/node_modules"
NPM_PACKAGES = {
    "jest": "^29.7.0", "babel-jest": "^29.6.4", "@babel/core": "^7.25.2",
    "@exercism/babel-preset-javascript": "^0.2.1", "core-js": "~3.37.1",
}  # fmt: skip
#: Development dependencies exercises list that running their tests does not need (linters, editor types).
NPM_NOT_NEEDED = ("eslint", "@exercism/eslint-config-javascript", "@types/")


def install_node_packages(prefix: Path) -> None:
    """``npm install`` ``NPM_PACKAGES`` into ``prefix``/node_modules with this machine's npm configuration (its
    registry or mirror); no install scripts run."""
    prefix.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    argv = [
        "npm",
        "install",
        "--prefix",
        str(prefix),
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        *specs,
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        raise SandboxError("npm is not installed: install it (apt-get install npm) to provide jest") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SandboxError(f"npm install of {', '.join(NPM_PACKAGES)} failed: {last}")


if __name__ == "__main__":  # .ci/run: the toolchains for the process sandbox on this machine
    import sys

    if sys.argv[1:] == ["debian"]:
        print(" ".join(DEBIAN_PACKAGES))
    elif sys.argv[1:] == ["npm"]:
        install_node_packages(Path(NODE_PREFIX))
    else:
        sys.exit("usage: python3 -m gitdgm.sandbox.toolchains debian|npm")
