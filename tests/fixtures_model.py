"""Fixtures for the scripted upstream (the only faked part: the FM, at its HTTP protocol) and the gateway.

- ``scripted_upstream(script) -> base_url``: a real HTTP server on 127.0.0.1 replying from a script
  (a dict in the TOML format of ``gitdgm.gateway.fake``, or a path); ``scripted_upstream.requests_seen(url)``
  lists what it was sent; ``scripted_upstream.server(url)`` is the server itself.
- ``gateway(upstream_url, **options) -> Gateway``: a started gateway whose run sockets live in a short temp
  dir, key ``TEST_API_KEY``, fast retries, transcripts under ``tmp_path / "transcripts"``.
- ``openai_client(endpoint) -> openai.OpenAI``: the real client, connected over a run's own socket with its
  token (``endpoint`` is what ``Gateway.open_run`` returned).
All are stopped at teardown.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from gitdgm.gateway import Gateway, RetryPolicy, RunEndpoint
from gitdgm.gateway.fake import FakeUpstream, ScriptSource

TEST_API_KEY = "sk-gitdgm-test-SECRET-4f1c9e"
FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.2)


class ScriptedUpstreams:
    """Factory for scripted upstreams that all stop at teardown."""

    def __init__(self) -> None:
        self._servers: dict[str, FakeUpstream] = {}

    def __call__(self, script: ScriptSource) -> str:
        fake = FakeUpstream(script).start()
        self._servers[fake.base_url] = fake
        return fake.base_url

    def requests_seen(self, base_url: str) -> list[dict[str, Any]]:
        return self._servers[base_url].requests_seen

    def server(self, base_url: str) -> FakeUpstream:
        """The scripted server itself (what it saw cancelled, its most requests at once)."""
        return self._servers[base_url]

    def close(self) -> None:
        for fake in self._servers.values():
            fake.close()


@pytest.fixture
def scripted_upstream() -> Iterator[ScriptedUpstreams]:
    upstreams = ScriptedUpstreams()
    yield upstreams
    upstreams.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []
    # sun_path holds 108 bytes: pytest's tmp_path can be longer, so sockets get a short dir of their own.
    socket_dir = Path(tempfile.mkdtemp(prefix="gdgm-"))

    def start(upstream_url: str, **options: Any) -> Gateway:
        options.setdefault("api_key", TEST_API_KEY)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("transcripts_dir", tmp_path / "transcripts")
        options.setdefault("upstream_timeout", 10.0)
        gw = Gateway(upstream_url, options.pop("api_key"), socket_dir / f"gw{len(started)}", **options)
        started.append(gw.start())
        return gw

    yield start
    for gw in started:
        gw.close()
    shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture
def openai_client() -> Iterator[Callable[[RunEndpoint], openai.OpenAI]]:
    clients: list[openai.OpenAI] = []

    def make(endpoint: RunEndpoint) -> openai.OpenAI:
        http_client = httpx.Client(transport=httpx.HTTPTransport(uds=str(endpoint.socket)))
        client = openai.OpenAI(
            base_url="http://gateway/v1", api_key=endpoint.token, http_client=http_client, timeout=20
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
