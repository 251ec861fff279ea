"""Added latency of the FM gateway per call: the same request direct to the scripted upstream and through
a run's own gateway socket, interleaved, ``--calls`` of each. Target: median added latency < 5 ms.

    python benchmarks/perf/gateway_latency.py [--calls 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from gitdgm.gateway import Gateway
from gitdgm.gateway.fake import FakeUpstream

SCRIPT = {"schema": 1, "default": {"content": "ok", "tool_calls": [{"name": "bash", "arguments": {"command": "ls"}}]}}
BODY = {
    "model": "bench",
    "messages": [{"role": "system", "content": "x" * 2000}, {"role": "user", "content": "y" * 2000}],
}


def timed(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.post(url, json=BODY)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory(prefix="gdgm-") as tmp, FakeUpstream(SCRIPT) as fake:
        with Gateway(
            fake.base_url,
            "sk-bench",
            Path(tmp) / "gw",
            prices={"bench": (0.0, 0.0)},
            transcripts_dir=Path(tmp) / "t",
        ) as gw:
            run = gw.open_run(agent="bench", task="latency")
            direct = httpx.Client(base_url=fake.base_url + "/")
            relayed = httpx.Client(
                base_url="http://gateway/v1/",
                transport=httpx.HTTPTransport(uds=str(run.socket)),
                headers={"Authorization": f"Bearer {run.token}"},
            )
            for _ in range(20):  # warm up connections on both paths
                timed(direct, "chat/completions"), timed(relayed, "chat/completions")
            samples = [(timed(direct, "chat/completions"), timed(relayed, "chat/completions")) for _ in range(calls)]
            usage = gw.close_run(run.token)
    direct_ms = [d * 1000 for d, _ in samples]
    relayed_ms = [r * 1000 for _, r in samples]
    added = [r - d for d, r in zip(direct_ms, relayed_ms, strict=True)]
    print(f"calls: {calls} each way (gateway counted {usage.requests - 20} measured requests, transcripts on)")
    print(f"direct to upstream : median {statistics.median(direct_ms):.2f} ms")
    print(f"through the gateway: median {statistics.median(relayed_ms):.2f} ms")
    print(
        f"added latency      : median {statistics.median(added):.2f} ms, "
        f"p90 {statistics.quantiles(added, n=10)[-1]:.2f} ms (target < 5 ms)"
    )


if __name__ == "__main__":
    main()
