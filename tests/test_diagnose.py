"""The diagnosis from a real evaluation's logs: real git, gateway, process sandbox and seed agent; a scripted model.

The seed is evaluated on the tiny suite of ``eval_helpers`` so that every entry kind has something real to show:
``t1-add`` is solved; ``t2-max`` prints two long outputs, hits the model's context limit once (the seed elides
and goes on) and makes a wrong fix; ``t3-neg`` changes nothing; ``t4-len`` hits the context limit at once and
gives up with an empty patch. The prompt of each entry kind is rendered from those logs and checked; one
diagnosis then runs through the real gateway, and a plan-mode step records its choice in the child's note.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eval_helpers import HIDDEN_MARKER, make_archive, script

from gitdgm.archive import Archive
from gitdgm.config import RoleConfig
from gitdgm.engine.diagnose import PromptBudget, agent_code, choose_entry, diagnose
from gitdgm.engine.diagnose.choice import groups, options, overflow
from gitdgm.engine.diagnose.code import summarise_agent
from gitdgm.engine.diagnose.prompt import build_prompt, hidden_tests
from gitdgm.engine.evaluate import evaluate
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.archive.record import Record
from gitdgm.engine.services import open_runtime
from gitdgm.engine.step import run_step
from gitdgm.suites import Suite, load_suite

HIDDEN_LINE = "assert maxer.f([1, 9, 4]) == 9"  # t2-max's hidden check, which the scripted diagnosis quotes
ANSWER = {"log_summarization": "It printed long outputs, overflowed its context and guessed.",
          "potential_improvements": "Keep tool outputs short; test before finishing.",
          "improvement_proposal": "Make the agent check its fix against tests it writes itself",
          "implementation_suggestion": "Add a step to dgm_agent/prompts/system.md.",
          "problem_description": f"The agent stops after a guess; a check such as `{HIDDEN_LINE}` would have "
                                 "caught it. Make it write and run a test before finishing."}
SELF_EDIT = "printf '\\nWrite a test first.\\n' >> dgm_agent/prompts/system.md"


def _bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "bash", "arguments": {"command": command}}]}


SCENARIOS = [
    {"name": "diagnosis", "match": {"user": "Diagnose a coding agent"},
     "turns": [{"content": "```json\n" + json.dumps(ANSWER) + "\n```"}]},
    {"name": "self-improvement", "match": {"user": "Improve yourself"},
     "turns": [_bash(SELF_EDIT), {"content": "Done."}]},
    # the error's text is the scenario's name: "context length" is what the seed (and providers) call an overflow
    {"name": "t2 context length exceeded", "match": {"user": "TASK t2-max:"},
     "turns": [_bash("seq 1 3000"), _bash("seq 1 3000"),
               {"status": 400, "times": 1, **_bash("sed -i 's/return min(xs)/return xs[0]/' maxer.py")},
               {"content": "Fixed, I think."}]},
    {"name": "t4 context length exceeded", "match": {"user": "TASK t4-len:"}, "turns": [{"status": 400}]},
]
BEHAVIOURS = {"t1-add": "solve", "t3-neg": "none"}
KINDS = ("empty_patches", "stochasticity", "context_length", "t2-max")


@dataclass
class Evaluated:
    path: Path
    archive: Archive
    seed: str
    record: Record
    logs: dict[str, Any]
    code: dict[str, str]
    suite: Suite
    fake: FakeUpstream


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evaluated]:
    path = tmp_path_factory.mktemp("diagnose") / "archive"
    with FakeUpstream(script(BEHAVIOURS, extra=SCENARIOS)) as fake:
        archive, seed = make_archive(path, BEHAVIOURS, base_url=fake.base_url, extra=SCENARIOS)
        with open_runtime(archive) as rt:
            record = evaluate(rt, archive.resolve(seed))
        commit = archive.resolve(seed).commit
        yield Evaluated(path, archive, seed, record, archive.task_logs(commit),
                        agent_code(archive.tree_files(commit)), load_suite("suite", root=path), fake)


def render(ev: Evaluated, entry: str, budget: PromptBudget = PromptBudget()) -> tuple[Any, Any]:
    choice = choose_entry(ev.record, ev.logs, random.Random(0), entry=entry)
    task = next(t for t in ev.suite.tasks if t.id == choice.task)
    hidden = hidden_tests(task) if choice.kind in ("failed_task", "stochasticity") else ""
    return choice, build_prompt(choice, ev.record, ev.logs, ev.code, hidden, budget)


def test_the_real_evaluation_feeds_the_dgm_entry_rule(evaluated: Evaluated) -> None:
    found = groups(evaluated.record, evaluated.logs)
    assert found == {"resolved": ["t1-add"], "empty": ["t3-neg", "t4-len"], "failed": ["t2-max"],
                     "overflowed": ["t2-max", "t4-len"]}
    # the DGM's coin flips in turn: 0.25, then 0.25 of what is left, ...; the rest goes to the failed tasks
    assert options(found) == pytest.approx({"empty_patches": 0.25, "stochasticity": 0.1875,
                                            "context_length": 0.140625, "failed_task": 0.421875})
    rng = random.Random(1)
    drawn = [choose_entry(evaluated.record, evaluated.logs, rng).entry for _ in range(2000)]
    assert {e: drawn.count(e) / len(drawn) for e in set(drawn)} == pytest.approx(
        {"empty_patches": 0.25, "stochasticity": 0.1875, "context_length": 0.140625, "t2-max": 0.421875}, abs=0.03)


def test_context_overflow_is_read_from_the_seeds_own_transcript(evaluated: Evaluated) -> None:
    logs = evaluated.logs
    recovered, gave_up = overflow(logs["t2-max"]), overflow(logs["t4-len"])
    assert recovered.startswith("_[context: ") and "context length exceeded" in recovered  # elided, went on
    assert gave_up.startswith("nothing left to elide: HTTP 400") and "context length exceeded" in gave_up
    assert "## End: context_overflow" in logs["t4-len"]["transcript"]
    assert overflow(logs["t1-add"]) == overflow(logs["t3-neg"]) == ""


@pytest.mark.parametrize("entry", KINDS)
def test_each_entry_kind_renders_its_hint_and_the_run_it_is_about(evaluated: Evaluated, entry: str) -> None:
    choice, prompt = render(evaluated, entry)
    text = prompt.text
    assert text.startswith("# Diagnose a coding agent")
    assert "## How the agent is built" in text and "  - `dgm_agent/loop.py`: The agent loop" in text
    assert "----- dgm_agent/loop.py (" in text and "- unresolved, empty_patch (2): t3-neg, t4-len" in text
    hint = {"empty_patches": "fails to generate a patch", "stochasticity": "could be to ask the agent to try multiple",
            "context_length": "the input is too long for the model", "t2-max": "## Focus: the failed task `t2-max`"}
    assert hint[entry] in text
    assert f"### Task\n----- Task start -----\nTASK {choice.task}:" in text
    assert "### Agent log (transcript.md)" in text and prompt.fields[0] == "log_summarization"
    assert "- log_summarization: Analyze the log above" in text
    shows_tests = entry in ("stochasticity", "t2-max")
    assert (HIDDEN_MARKER in text) == shows_tests == prompt.shown["hidden_tests"]
    assert ("### Hidden test results" in text) == shows_tests
    if entry == "empty_patches":
        assert choice.task in ("t3-neg", "t4-len") and "### Agent patch" not in text
    if entry == "context_length":
        assert choice.task in ("t2-max", "t4-len") and "<error_message>\n" in text
        assert "context length exceeded" in text.split("<error_message>")[1].split("</error_message>")[0]
    if choice.task == "t2-max":  # the long run in a 16k window: head and tail kept, the cut marked and named
        _choice, small = render(evaluated, entry, PromptBudget(16_384, 2_048))
        assert "chars elided by gitdgm ...]" in small.text and small.shown["log_elided"] > 0
        assert "## End: done" in small.text and "Cut to their head and tail: the agent log" in small.text
        assert small.shown["prompt_tokens"] <= small.shown["budget_tokens"] == PromptBudget(16_384, 2_048).tokens
    if entry == "t2-max":
        assert "(tests_failed)" in text and "+    return xs[0]" in text and HIDDEN_LINE in text


def test_no_log_summary_is_asked_for_without_a_log(evaluated: Evaluated) -> None:
    silent = {"transcript": "", "agent_output": "", "model_calls": ""}  # neither the agent's log nor the gateway's
    no_logs = {task: {**log, **silent} for task, log in evaluated.logs.items()}
    choice = choose_entry(evaluated.record, no_logs, random.Random(0), entry="t2-max")
    prompt = build_prompt(choice, evaluated.record, no_logs, evaluated.code)
    assert "log_summarization" not in prompt.fields and "log_summarization" not in prompt.text
    assert "### Agent log" not in prompt.text and prompt.shown["log_chars"] == 0
    nothing_run = Record.new(status="evaluated", parent=None, generation=0)
    general = build_prompt(choose_entry(nothing_run, {}, random.Random(0)), nothing_run, {}, evaluated.code)
    assert "## Focus: general" in general.text and "log_summarization" not in general.text


def test_code_goes_in_by_relevance_and_what_is_left_out_is_named(evaluated: Evaluated) -> None:
    code = evaluated.code
    _choice, prompt = render(evaluated, "t2-max")  # the seed (~100k chars) is over the code's cap (20,000 tokens)
    left_out = [name.split(" (")[0] for name in prompt.shown["left_out"] if not name.startswith("... and")]
    assert left_out and left_out == sorted(left_out, key=lambda p: p.startswith("tests/"))  # the tests rank last
    shown = sorted((p for p in code if f"----- {p} (" in prompt.text), key=lambda p: prompt.text.index(f"----- {p} ("))
    assert shown == sorted(shown, key=lambda p: p.startswith("tests/"))
    line = prompt.text.split("[Left out to fit the prompt: ")[1].split("\n")[0]
    assert line.startswith(f"{len(code) - prompt.shown['files']} of {len(code)} code files: ")
    assert all(f"{name} ({len(code[name]):,} chars)" in line for name in left_out[:6])
    # a file the failing run names (here in a traceback) comes right after the manifest and the entry
    logs = {**evaluated.logs, "t2-max": {**evaluated.logs["t2-max"], "agent_output":
                                         'File "/agent/dgm_agent/tools/editor.py", line 3, in view'}}
    choice = choose_entry(evaluated.record, logs, random.Random(0), entry="t2-max")
    small = build_prompt(choice, evaluated.record, logs, code, budget=PromptBudget(16_384, 2_048))
    order = sorted((p for p in code if f"----- {p} (" in small.text), key=lambda p: small.text.index(f"----- {p} ("))
    assert order[:4] == ["agent.toml", "dgm_agent/__main__.py", "dgm_agent/__init__.py", "dgm_agent/tools/editor.py"]
    assert small.shown["files"] == len(order) and len(small.shown["left_out"]) <= 9


def test_the_map_of_an_agent_survives_files_built_to_break_the_parser() -> None:
    """An agent's files are the adversary's: a source Python cannot build an AST for (memory, recursion) leaves
    its line of the map blank rather than ending the diagnosis, and so the run."""
    code = {
        "dgm_agent/fine.py": '"""The fine module."""\n',
        "dgm_agent/deep.py": "x = " + "-" * 100_000 + "1\n",
        "dgm_agent/long.py": "a" + ".b" * 200_000 + "\n",
        "dgm_agent/bad.py": "def broken(:\n",
    }
    summary = summarise_agent(code)
    assert "`dgm_agent/fine.py`: The fine module." in summary
    for path in ("dgm_agent/deep.py", "dgm_agent/long.py", "dgm_agent/bad.py"):
        assert f"  - `{path}`\n" in summary + "\n"


def test_a_diagnosis_through_the_gateway_keeps_hidden_tests_from_the_agent(evaluated: Evaluated) -> None:
    seed = next(s for s in range(100)
                if choose_entry(evaluated.record, evaluated.logs, random.Random(s)).entry == "t2-max")
    seen = len(evaluated.fake.requests_seen)
    with open_runtime(evaluated.archive) as rt:
        endpoint = rt.gateway.open_run(evaluated.seed, "diagnosis")
        try:
            role = RoleConfig(name="scripted-test", max_tokens=4096, context_window=128_000, request_timeout=60)
            diagnosis = diagnose(socket=endpoint.socket, token=endpoint.token, role=role, code=evaluated.code,
                                 record=evaluated.record, logs=evaluated.logs, rng=random.Random(seed), attempts=1,
                                 suite=rt.suite)
        finally:
            rt.gateway.close_run(endpoint.token)
    (request,) = evaluated.fake.requests_seen[seen:]
    sent = request["body"]["messages"][0]["content"]
    assert request["body"]["max_tokens"] == 4096 and "temperature" not in request["body"]
    assert HIDDEN_MARKER in sent and HIDDEN_LINE in sent  # the diagnosing model sees the hidden tests
    statement = diagnosis.problem_statement()
    assert HIDDEN_MARKER not in statement and HIDDEN_LINE not in statement  # the agent never does
    assert "[a line of the hidden tests, removed]" in statement and "## How the agent is built" in statement
    assert statement.startswith("# Improve yourself: Make the agent check its fix")
    note = Record.parse(Record.new(status="pending", parent=evaluated.seed, generation=1,
                                   diagnosis=diagnosis.note()).dumps()).data["diagnosis"]
    assert note["entry"] == "t2-max" and note["choice"]["task"] == "t2-max"
    assert note["choice"]["options"]["failed_task"] == pytest.approx(0.421875, abs=1e-4)
    assert note["choice"]["overflowed"] == ["t2-max", "t4-len"] and note["shown"]["hidden_tests"] is True
    assert note["shown"]["log_chars"] > 0 and note["shown"]["left_out"]
    assert note["shown"]["prompt_tokens"] <= note["shown"]["budget_tokens"]
    assert note["shown"]["context_window"] == 128_000 and note["shown"]["frame"] == "full"


def test_a_step_records_the_choice_and_never_hands_hidden_tests_to_the_child(evaluated: Evaluated,
                                                                              tmp_path: Path) -> None:
    shutil.copytree(evaluated.path, tmp_path / "a", symlinks=True)
    archive = Archive(tmp_path / "a")
    seen = len(evaluated.fake.requests_seen)
    with open_runtime(archive) as rt:
        report = run_step(rt, parents=1, seed=7, mode="plan")
    (child,) = report.children
    assert child.status == "pending", child.reason
    diagnosis = archive.read_record(archive.resolve(child.id).commit).data["diagnosis"]
    assert diagnosis["entry"] in (*KINDS, "t3-neg", "t4-len")
    assert sum(diagnosis["choice"]["options"].values()) == pytest.approx(1.0, abs=1e-3)
    bodies = [m for r in evaluated.fake.requests_seen[seen:] if (m := (r.get("body") or {}).get("messages"))]
    asked = next(m[0]["content"] for m in bodies if "Diagnose a coding agent" in m[0]["content"])
    assert (HIDDEN_MARKER in asked) == diagnosis["shown"]["hidden_tests"]
    selfmod = [m for m in bodies if any("Improve yourself" in str(x.get("content")) for x in m)]
    assert selfmod and all(HIDDEN_MARKER not in str(m) for m in selfmod)
    # the commit message's body is the problem statement the child was given: no hidden test in it either
    assert HIDDEN_MARKER not in archive.repo[archive.resolve(child.id).commit].message
