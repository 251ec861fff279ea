"""The diagnosis within a context window: the prompt's budget in tokens, and the calls the diagnosis makes.

A small made-up agent and its evaluation (a failed task with a long log, an empty patch that overflowed its context)
are rendered for windows from 2,048 tokens to 128,000; the calls go through the real gateway to the scripted model,
which imitates a server with a context window where a test needs one. The one test that must see what the client
itself sends (no retries) talks to the scripted model over a unix socket with no gateway in between.
"""

from __future__ import annotations

import http.server
import json
import random
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gitdgm.config import RoleConfig
from gitdgm.engine.diagnose import DiagnosisFailed, PromptBudget, choose_entry, diagnose
from gitdgm.engine.diagnose.budget import CAPS, allot, clip
from gitdgm.engine.diagnose.choice import overflow
from gitdgm.engine.diagnose.prompt import LABELS, build_prompt
from gitdgm.gateway import Gateway
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.gateway.tokens import estimate_tokens
from gitdgm.archive.record import Record


def source(module: str, functions: int) -> str:
    name = module.replace("/", "_").removesuffix(".py")
    return f'"""{module}: part of the test agent."""\n\n' + "".join(
        f"def {name}_{i}(value):\n    return value + {i}  # step {i} of {module}\n\n\n" for i in range(functions))


AGENT = {"agent.toml": 'schema = 1\nentry = ["python3", "-m", "agent"]\ntest_command = ["python3", "-m", "pytest"]\n',
         **{path: source(path, functions) for path, functions in (
             ("agent/__main__.py", 5), ("agent/loop.py", 60), ("agent/prompts.py", 40), ("agent/tools/editor.py", 60),
             ("agent/tools/search.py", 60), ("tests/test_loop.py", 30))}}
SMALL_AGENT = {"agent.toml": AGENT["agent.toml"], "agent/__main__.py": source("agent/__main__.py", 3)}
TRACEBACK = ('Traceback (most recent call last):\n'
             '  File "/agent/agent/tools/editor.py", line 3, in agent_tools_editor_1\n')
HIDDEN = "".join(f"def test_hidden_{i}():\n    assert solve({i}) == {i * i}  # HIDDEN\n" for i in range(200))


def record() -> Record:
    r = Record.new(status="evaluated", parent=None, generation=0, score=1 / 3)
    r.tasks.update({"t1": {"outcome": "resolved"}, "t2": {"outcome": "unresolved", "why": "tests_failed"},
                    "t3": {"outcome": "unresolved", "why": "empty_patch"}})
    return r


def logs(log_lines: int = 1500, traceback: str = "", repeat: int = 200) -> dict[str, Any]:
    transcript = "".join(f"## Turn {i}\nran `grep -rn solve .` and read {i} lines\n" for i in range(log_lines))
    return {"t2": {"problem": "TASK t2: solve(x) must return x squared.\n", "transcript": transcript + traceback,
                   "agent_output": "agent: turn done\n" * 2 * repeat, "patch": "+    return x * 2\n" * repeat,
                   "test_output": "AssertionError: solve(3) == 6, expected 9\n" * repeat},
            "t3": {"problem": "TASK t3: count the words.\n", "agent_output": "",
                   "transcript": "## Turn 1\nError: HTTP 400 context length exceeded (8192 tokens)\n"}}


ENTRIES = ("t2", "stochasticity", "empty_patches", "context_length", "general")


def render(entry: str, budget: PromptBudget, code: dict[str, str] = AGENT, hidden: str = HIDDEN,
           **log_options: Any) -> Any:
    r = record() if entry != "general" else Record.new(status="evaluated", parent=None, generation=0)
    found = logs(**log_options)
    choice = choose_entry(r, found, random.Random(0), entry=None if entry == "general" else entry)
    shown = hidden if choice.kind in ("failed_task", "stochasticity") else ""
    return build_prompt(choice, r, found, code, shown, budget)


def left_out_line(text: str) -> str:
    """The prompt's line naming what it left out and what it cut ("" if none)."""
    starts = ("[Left out to fit the prompt: ", "[Cut to their head and tail: ")
    return next((line for line in text.splitlines() if line.startswith(starts)), "")


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(("window", "max_tokens"), [(2048, 1024), (2048, 512), (4096, 1024), (8192, 2048)])
def test_a_small_window_gets_a_prompt_that_fits_and_names_what_it_left_out(entry: str, window: int,
                                                                           max_tokens: int) -> None:
    budget = PromptBudget(window, max_tokens)
    prompt = render(entry, budget)
    shown = prompt.shown
    assert shown["prompt_tokens"] == estimate_tokens(prompt.text) <= budget.tokens < window - max_tokens
    assert (shown["context_window"], shown["budget_tokens"]) == (window, budget.tokens)
    line = left_out_line(prompt.text)
    assert line, "something of this agent and its long run must be left out or cut"
    for part in shown["left_out_parts"]:
        assert (f"the agent's code ({len(AGENT)} files)" if part == "code" else LABELS[part]) in line
    if shown["cut_parts"]:
        assert line.split("Cut to their head and tail: ")[1].rstrip(".]") == ", ".join(
            LABELS[p] for p in shown["cut_parts"])
    assert shown["files"] + len(shown["left_out"]) == len(AGENT) or shown["left_out"][-1].startswith("... and")
    assert ("log_summarization" in prompt.fields) == (shown["log_chars"] > 0)
    assert shown["frame"] == "brief" if window == 2048 else shown["frame"] in ("brief", "full")


def test_every_window_from_the_least_the_frame_needs_fits() -> None:
    for entry in ENTRIES:
        with pytest.raises(DiagnosisFailed) as refused:
            render(entry, PromptBudget(1024, 512))
        least = int(refused.value.args[0].split("with less than ")[1].split()[0])
        for window in (least, least + 1, least + 333, 3 * least, 10 * least):
            prompt = render(entry, PromptBudget(window, min(512, window // 2)))
            assert prompt.shown["prompt_tokens"] <= PromptBudget(window, min(512, window // 2)).tokens


def test_a_window_too_small_for_the_frame_fails_naming_the_least_window_and_the_setting() -> None:
    with pytest.raises(DiagnosisFailed) as refused:
        render("stochasticity", PromptBudget(1024, 512))
    message = str(refused.value)
    assert "\n" not in message and message.startswith("a context window of 1024 tokens is too small to diagnose")
    assert "raise [model.diagnosis] context_window" in message and "lower [model.diagnosis] max_tokens" in message
    least = int(message.split("with less than ")[1].split()[0])
    render("stochasticity", PromptBudget(least, 512))  # fits
    with pytest.raises(DiagnosisFailed):
        render("stochasticity", PromptBudget(least - 1, 512))


def test_a_large_window_shows_everything_a_small_agent_has() -> None:
    hidden = HIDDEN[:2000]
    prompt = render("t2", PromptBudget(128_000, 4096), code=SMALL_AGENT, hidden=hidden, log_lines=50, repeat=20)
    text, shown, found = prompt.text, prompt.shown, logs(log_lines=50, repeat=20)["t2"]
    assert left_out_line(text) == "" and shown["left_out"] == shown["left_out_parts"] == shown["cut_parts"] == []
    for path, content in SMALL_AGENT.items():
        assert f"----- {path} ({len(content):,} chars) -----\n{content.rstrip()}\n" in text
    for key in ("problem", "transcript", "agent_output", "patch", "test_output"):
        assert found[key].rstrip() in text
    assert hidden.rstrip() in text and shown["hidden_tests"] and shown["frame"] == "full"
    assert shown["log_chars"] == len(found["transcript"].rstrip()) and shown["log_elided"] == 0


def test_an_agent_that_kept_no_log_is_diagnosed_from_the_gateways_record_of_its_calls() -> None:
    calls = ("call 1: HTTP 200 in 0.4 s: tool calls: bash\n"
             "call 2: HTTP 400 in 0.1 s: error: This model's maximum context length is 8192 tokens")
    found = {"t3": {"problem": "TASK t3: count the words.\n", "transcript": "", "agent_output": "",
                    "model_calls": calls}}
    choice = choose_entry(record(), found, random.Random(0), entry="context_length")
    assert choice.task == "t3" and overflow(found["t3"]).endswith("maximum context length is 8192 tokens")
    text = build_prompt(choice, record(), found, SMALL_AGENT, "", PromptBudget(128_000, 4096)).text
    assert "The agent kept no transcript.md. Its model calls, as gitdgm's gateway relayed them:" in text
    assert calls in text


def test_a_large_window_keeps_the_caps_so_a_long_run_does_not_fill_it() -> None:
    big = {f"agent/module_{i}.py": source(f"agent/module_{i}.py", 80) for i in range(30)}
    prompt = render("t2", PromptBudget(128_000, 4096), code={**AGENT, **big}, log_lines=20_000)
    assert prompt.shown["prompt_tokens"] < sum(CAPS.values()) + 3_000  # the caps and the frame, nowhere near 120k
    assert prompt.shown["cut_parts"] == ["log", "output", "tests", "results"]  # the patch is under its cap
    assert prompt.shown["left_out"] and "code files: " in left_out_line(prompt.text)


def test_the_file_the_failing_run_names_survives_a_tight_budget() -> None:
    prompt = render("t2", PromptBudget(12_000, 2048), traceback=TRACEBACK)
    text, shown = prompt.text, prompt.shown
    assert "----- agent/tools/editor.py (" in text  # named in the traceback: right after the manifest and entry
    left_out = [name.split(" (")[0] for name in shown["left_out"]]
    assert {"agent/loop.py", "agent/tools/search.py", "tests/test_loop.py"} <= set(left_out)
    assert "agent/tools/editor.py" not in left_out
    line = left_out_line(text)
    assert f"{len(left_out)} of {len(AGENT)} code files: agent/loop.py (" in line  # the next most relevant first
    without = render("t2", PromptBudget(12_000, 2048))  # the same budget, no traceback: the editor goes by name
    assert "----- agent/tools/editor.py (" not in without.text


def test_shares_go_to_the_most_relevant_first_then_by_weight_up_to_the_caps() -> None:
    needs = {"problem": 40, "results": 900, "log": 8000, "code": 20_000, "patch": 500, "tests": 700, "output": 300}
    assert allot(needs, 300) == {"problem": 40, "results": 150, "log": 110}  # the log gets what is left: half its floor
    tight = allot(needs, 1000)  # every floor in turn but the output's: 40 tokens are left for it, less than half
    assert set(tight) == set(needs) - {"output"} and sum(tight.values()) <= 1000
    roomy = allot(needs, 10_000)
    assert sum(roomy.values()) <= 10_000 and roomy["problem"] == 40 and roomy["log"] > roomy["results"]
    assert allot(needs, 100_000) == needs  # all of it fits: every part whole


def test_clip_keeps_head_and_tail_within_the_estimate_also_for_wide_characters() -> None:
    text = "".join(f"Zeile {i}: Größenänderung — naïve café ✓\n" for i in range(2000))
    clipped, elided = clip(text, 300)
    assert estimate_tokens(clipped) <= 300 and elided > 0 and f"[... {elided:,} chars elided by gitdgm ...]" in clipped
    assert clipped.startswith("Zeile 0: ") and clipped.rstrip().endswith("Zeile 1999: Größenänderung — naïve café ✓")
    assert clip("short", 300) == ("short", 0)


# -- the calls -------------------------------------------------------------------------------------------------------
ANSWER = {"log_summarization": "It grepped and guessed.", "potential_improvements": "Run the tests first.",
          "improvement_proposal": "Make the agent run its tests before it finishes",
          "implementation_suggestion": "Add a check to agent/loop.py.", "problem_description": "Test before done."}
DIAGNOSIS = {"user": "Diagnose a coding agent"}


def script(*turns: dict[str, Any], name: str = "diagnosis", server: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"schema": 1, "scenario": [{"name": name, "match": DIAGNOSIS, "turns": list(turns)}]}
    return found | ({"server": server} if server else {})


class Asker:
    """Runs one diagnosis through the real gateway against a script; ``seen`` holds the last one's chat requests."""

    def __init__(self, upstreams: Any, gateway: Callable[..., Gateway]) -> None:
        self.upstreams, self.gateway = upstreams, gateway
        self.seen: list[dict[str, Any]] = []

    def __call__(self, found: dict[str, Any], role: RoleConfig, attempts: int = 2) -> tuple[Any, list[dict[str, Any]]]:
        url = self.upstreams(found)
        gw = self.gateway(url)
        endpoint = gw.open_run("parent", "diagnosis")
        try:
            diagnosis = diagnose(socket=endpoint.socket, token=endpoint.token, role=role, code=AGENT,
                                 record=record(), logs=logs(), rng=random.Random(0), attempts=attempts)
        finally:
            gw.close_run(endpoint.token)
            requests = self.upstreams.requests_seen(url)
            self.seen = [r["body"] for r in requests if r["path"].endswith("/chat/completions")]
        return diagnosis, self.seen


@pytest.fixture
def ask(scripted_upstream: Any, gateway: Callable[..., Gateway]) -> Asker:
    return Asker(scripted_upstream, gateway)


def role(**settings: Any) -> RoleConfig:
    return RoleConfig(**{"name": "scripted-test", "context_window": 32_768, "request_timeout": 30.0, **settings})


def test_the_roles_reply_cap_and_temperature_reach_the_server(ask: Asker) -> None:
    diagnosis, (request,) = ask(script({"content": json.dumps(ANSWER)}), role(max_tokens=700, temperature=0.3))
    assert request["model"] == "scripted-test" and request["max_tokens"] == 700 and request["temperature"] == 0.3
    assert diagnosis.note()["shown"]["context_window"] == 32_768
    _, (plain,) = ask(script({"content": json.dumps(ANSWER)}), role(max_tokens=0, temperature=None))
    assert "max_tokens" not in plain and "temperature" not in plain  # 0 and None: the server's defaults


def test_a_refusal_that_states_a_smaller_window_gets_one_rebuilt_prompt_that_fits(ask: Asker) -> None:
    server = {"context_window": 4096}  # refuses as llama-cpp-python does: "... exceed context window of 4096"
    diagnosis, (refused, rebuilt) = ask(script({"content": json.dumps(ANSWER)}, server=server), role(max_tokens=4096))
    assert estimate_tokens(json.dumps(refused["messages"])) + refused["max_tokens"] > 4096
    assert rebuilt["max_tokens"] == 2048  # at most half the stated window, or the reply could not fit either
    assert estimate_tokens(json.dumps(rebuilt["messages"])) + rebuilt["max_tokens"] <= 4096
    shown = diagnosis.note()["shown"]
    assert diagnosis.attempts == 1 and shown["context_window"] == 4096
    assert shown["prompt_tokens"] == estimate_tokens(rebuilt["messages"][0]["content"]) <= shown["budget_tokens"]
    assert shown["left_out_parts"] or shown["cut_parts"]


def test_the_prompt_is_rebuilt_once_only(ask: Asker) -> None:
    always = script({"status": 400}, name="maximum context length is 8192 tokens")  # OpenAI's wording, every time
    with pytest.raises(DiagnosisFailed, match="maximum context length is 8192") as failed:
        ask(always, role(max_tokens=4096))
    assert "set [model.diagnosis] context_window to the model's" in str(failed.value)
    first, second = ask.seen
    assert len(second["messages"][0]["content"]) < len(first["messages"][0]["content"])


def test_a_reply_cut_at_the_length_limit_is_asked_again_more_briefly(ask: Asker) -> None:
    rambling = "{" + '"log_summarization": "' + "it went on and on " * 100
    diagnosis, (first, second) = ask(script({"content": rambling}, {"content": json.dumps(ANSWER)}),
                                     role(max_tokens=200, context_window=128_000))
    assert first["max_tokens"] == second["max_tokens"] == 200 and diagnosis.attempts == 2
    prompt, cut, again = second["messages"]
    assert prompt == first["messages"][0] and cut["content"] == rambling[:800]  # the fake cuts at 4 chars a token
    assert "cut off at the length limit (200 tokens): answer more briefly" in again["content"]
    assert diagnosis.answer == ANSWER


def test_the_retry_after_a_cut_reply_still_fits_a_small_window(ask: Asker) -> None:
    rambling = "{" + '"log_summarization": "' + "it went on and on " * 100
    found = script({"content": rambling}, {"content": json.dumps(ANSWER)}, server={"context_window": 4096})
    diagnosis, (first, second) = ask(found, role(max_tokens=300, context_window=4096))  # the fake refuses overflows
    for request in (first, second):
        assert estimate_tokens(json.dumps(request["messages"])) + request["max_tokens"] <= 4096
    assert diagnosis.answer == ANSWER and "answer more briefly" in second["messages"][-1]["content"]


def test_an_unparseable_answer_that_was_not_cut_is_not_told_to_be_brief(ask: Asker) -> None:
    _, (_, second) = ask(script({"content": "I think the agent is fine."}, {"content": json.dumps(ANSWER)}),
                         role(max_tokens=1000))
    assert "That could not be used: the answer is not a JSON object" in second["messages"][2]["content"]
    assert "briefly" not in second["messages"][2]["content"]


# -- the client alone ------------------------------------------------------------------------------------------------
class _Relay(http.server.BaseHTTPRequestHandler):
    """The scripted model's answers over a unix socket, with none of the gateway's headers (no x-should-retry)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, _ = self.server.fake.answer(self.path, "", body)  # type: ignore[attr-defined]
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def bare_model() -> Iterator[Callable[[dict[str, Any]], tuple[Path, FakeUpstream]]]:
    folder = Path(tempfile.mkdtemp(prefix="gdgm-"))
    started: list[tuple[_UnixServer, FakeUpstream]] = []

    def start(found: dict[str, Any]) -> tuple[Path, FakeUpstream]:
        path = folder / f"m{len(started)}.sock"
        server, fake = _UnixServer(str(path), _Relay), FakeUpstream(found).start()  # started, so that it closes
        server.fake = fake  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append((server, fake))
        return path, fake

    yield start
    for server, fake in started:
        server.shutdown()
        server.server_close()
        fake.close()
    shutil.rmtree(folder, ignore_errors=True)


def test_the_client_never_retries_the_gateway_is_the_one_place_that_does(bare_model: Any) -> None:
    path, fake = bare_model(script({"status": 500}))  # a bare 500: the openai client's default would try 3 times
    with pytest.raises(DiagnosisFailed, match="the model failed during diagnosis: Error code: 500"):
        diagnose(socket=path, token="t", role=role(max_tokens=500), code=AGENT, record=record(), logs=logs(),
                 rng=random.Random(0), attempts=3)
    assert len(fake.requests_seen) == 1
