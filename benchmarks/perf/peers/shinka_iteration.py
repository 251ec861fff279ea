"""ShinkaEvolve's machinery cost per iteration, with an instant model and a trivial evaluator.

What: the wall clock ShinkaEvolve 0.0.7 (``ShinkaEvolveRunner``) spends per evolution iteration (sample a
parent, build the prompt, query the model, apply the patch, launch and poll the evaluation job, persist the
result in its SQLite archive) when the model and the evaluation cost nothing.

How: an OpenAI-compatible fake server on 127.0.0.1 (a random port, in a thread) answers every
/v1/chat/completions at once with a full rewrite of the EVOLVE-BLOCK that sets a new constant (unique per call)
and a ``usage`` block. Shinka reaches it through its ``local/<model>@<url>`` model name (the key comes from
LOCAL_OPENAI_API_KEY; OPENAI_BASE_URL points at it too, so nothing can reach a real API). The evaluator is a
stdlib script run as a local job: it imports the program and writes its constant as the score. One proposal
and one evaluation job at a time, so an iteration's wall time is Shinka's own per-iteration cost. Embeddings,
the novelty judge, meta-recommendations, prompt evolution and the model bandit are off. The clock starts when
the setup (runner, database, evaluation of the initial program) is done; an iteration ends when Shinka counts
its generation as completed. Setup and shutdown are printed apart. Shinka's own per-generation sampling tables
stay on (it prints them even with verbose=False). Everything lives in a temporary directory.

Usage:
    python3 -m venv <venv>; <venv>/bin/pip install shinka-evolve==0.0.7
    <venv>/bin/python benchmarks/perf/peers/shinka_iteration.py [--iterations 30]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

from shinka.core import EvolutionConfig, ShinkaEvolveRunner
from shinka.database import DatabaseConfig
from shinka.launch import LocalJobConfig

INITIAL = """# EVOLVE-BLOCK-START
VALUE = 0
# EVOLVE-BLOCK-END


def run() -> int:
    return VALUE
"""

EVALUATE = """import argparse, importlib.util, json, os

parser = argparse.ArgumentParser()
parser.add_argument("--program_path")
parser.add_argument("--results_dir")
args = parser.parse_args()
spec = importlib.util.spec_from_file_location("program", args.program_path)
program = importlib.util.module_from_spec(spec)
spec.loader.exec_module(program)
os.makedirs(args.results_dir, exist_ok=True)
with open(os.path.join(args.results_dir, "correct.json"), "w") as f:
    json.dump({"correct": True, "error": None}, f)
with open(os.path.join(args.results_dir, "metrics.json"), "w") as f:
    json.dump({"combined_score": float(program.run()), "public": {}, "private": {}}, f)
"""


class FakeModel(BaseHTTPRequestHandler):
    """Answers every chat completion at once with a new value for VALUE."""

    protocol_version = "HTTP/1.1"
    calls = itertools.count(1)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.path.endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        n = next(self.calls)
        content = (f"<NAME>value_{n}</NAME>\n<DESCRIPTION>Set VALUE to {n}.</DESCRIPTION>\n"
                   f"```python\n# EVOLVE-BLOCK-START\nVALUE = {n}\n# EVOLVE-BLOCK-END\n```\n")
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4
        self._send(200, {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 30,
                      "total_tokens": prompt_tokens + 30},
        })

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the benchmark's output quiet."""


@contextmanager
def fake_server() -> Iterator[str]:
    """Serve FakeModel on a free local port; yield its /v1 base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def after(fn: Callable[[], Awaitable[None]], hook: Callable[[], object]) -> Callable[[], Awaitable[None]]:
    """Wrap an async no-argument method so that ``hook`` runs after it."""
    async def wrapper() -> None:
        await fn()
        hook()
    return wrapper


def run(iterations: int, workdir: Path, base_url: str) -> tuple[float, float, list[float], float]:
    """One Shinka run; returns (setup s, loop start, completion times, end), perf_counter based."""
    (workdir / "initial.py").write_text(INITIAL)
    (workdir / "evaluate.py").write_text(EVALUATE)
    evo = EvolutionConfig(
        num_generations=iterations + 1,  # generation 0 is the initial program
        patch_types=["full"], patch_type_probs=[1.0],
        llm_models=[f"local/fake@{base_url}"], llm_dynamic_selection=None,
        llm_kwargs={"temperatures": [0.0], "max_tokens": 1024},
        embedding_model=None, novelty_llm_models=None, meta_rec_interval=None, meta_llm_models=None,
        init_program_path=str(workdir / "initial.py"), results_dir=str(workdir / "results"),
    )
    jobs = LocalJobConfig(eval_program_path=str(workdir / "evaluate.py"))
    start = time.perf_counter()
    runner = ShinkaEvolveRunner(evo, jobs, DatabaseConfig(), banner_style="minimal", verbose=False,
                                max_evaluation_jobs=1, max_proposal_jobs=1, max_db_workers=1)
    loop_start: list[float] = []
    done: list[float] = []

    def count() -> None:
        done.extend([time.perf_counter()] * (runner.completed_generations - 1 - len(done)))

    runner._verify_database_ready = after(runner._verify_database_ready,
                                          lambda: loop_start.append(time.perf_counter()))
    runner._update_completed_generations = after(runner._update_completed_generations, count)
    runner.run()
    return loop_start[0] - start, loop_start[0], done, time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shinka-iteration-") as tmp, fake_server() as base_url:
        os.environ.update({"LOCAL_OPENAI_API_KEY": "fake", "OPENAI_API_KEY": "fake", "OPENAI_BASE_URL": base_url})
        setup, loop_start, done, end = run(args.iterations, Path(tmp), base_url)
    if len(done) != args.iterations:
        raise SystemExit(f"expected {args.iterations} completed iterations, Shinka reported {len(done)}")
    per_iteration = [(b - a) * 1000 for a, b in zip([loop_start, *done], done)]
    calls = next(FakeModel.calls) - 1
    print(f"setup (runner, database, initial evaluation): {setup * 1000:.0f} ms; "
          f"loop: {(done[-1] - loop_start) * 1000:.0f} ms; shutdown: {(end - done[-1]) * 1000:.0f} ms; "
          f"model calls: {calls}")
    print(f"measured: wall clock between completed generations, sequential local jobs, instant fake model, "
          f"trivial evaluator; min {min(per_iteration):.0f} ms, max {max(per_iteration):.0f} ms")
    print(f"shinka-evolve {version('shinka-evolve')}: {args.iterations} iterations, "
          f"median {statistics.median(per_iteration):.0f} ms / mean {statistics.fmean(per_iteration):.0f} ms "
          f"per iteration")


if __name__ == "__main__":
    main()
