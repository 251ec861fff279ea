"""The same landscape through gitdgm's real loop, at small scale: a real archive, the real seed agent, the real
gateway, sandbox, grading and engine; only the model is scripted, and it answers according to the genome written
in the agent's own tree (the last line of ``dgm_agent/prompts/system.md``, which the agent sends as its system
prompt with every request).

- On a task, the model writes the reference solution when the genome solves that task (``Landscape.solves``), and
  otherwise a plausible wrong patch (a comment in the file to fix), which is graded unresolved.
- Asked to improve itself, it reads the genome in the tree it is changing, draws the landscape's next child of
  that genome (the implementer is the agent whose system prompt asks: the parent, or the seed under the
  fixed-meta-agent ablation) and rewrites the line; a broken child also gets a file that does not compile, so the
  functional check rejects it.
- Its diagnosis is always the same.

So the in-memory study's claims can be checked against what ``gitdgm run`` does with the same landscape: with one
worker under ``hgm`` the two make the same agents with the same outcomes.
"""

from __future__ import annotations

import copy
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w
from landscape import Genome, Landscape, Params
from simulate import MetaAgent, Run, mean_quality

from gitdgm.archive import Archive
from gitdgm.archive.create import init_archive, seed_agent_dir
from gitdgm.config import Config
from gitdgm.demo import LESSONS, solution_files, solution_turns, write_demo_suite
from gitdgm.engine.services import open_runtime
from gitdgm.engine.step import run_step
from gitdgm.gateway.fake import FakeUpstream
from gitdgm.gateway.script import Scenario, Script, load_script, text_of
from gitdgm.suites import Task, load_suite

PROMPT = "dgm_agent/prompts/system.md"
DIAGNOSIS = LESSONS[0].diagnosis
GRADED = ("resolved", "unresolved")


def landscape_tasks(count: int) -> list[Task]:
    """The first ``count`` builtin Python tasks with reference solutions (what the scripted model can solve)."""
    usable = [t for t in load_suite("builtin").tasks if t.solution is not None and t.language == "python"]
    return usable[:count]


def _scenario(name: str, turns: list[dict[str, object]]) -> Scenario:
    return load_script({"schema": 1, "scenario": [{"name": name, "turns": turns}]}).scenarios[0]


def _bash(command: str, content: str = "") -> dict[str, object]:
    return {"content": content, "tool_calls": [{"name": "bash", "arguments": {"command": command}}]}


@dataclass(frozen=True)
class LandscapeScript(Script):
    """A scripted model whose replies follow the genome in the asking agent's system prompt."""

    landscape: Landscape = field(default_factory=Landscape)
    #: each task's problem (as the agent is given it), its id and its two replies: solved, missed
    replies: tuple[tuple[str, str, Scenario, Scenario], ...] = ()
    #: children asked of each genome so far (the k of ``Landscape.child``), under a lock: workers ask at once
    asked: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, landscape: Landscape, tasks: list[Task]) -> LandscapeScript:
        """The script for ``tasks`` (with their reference solutions), whose ids ``landscape`` grades."""
        replies = tuple(
            (
                t.problem.strip()[:80],
                t.id,
                _scenario(f"solve {t.id}", solution_turns(t)),
                _scenario(f"miss {t.id}", _miss_turns(t)),
            )
            for t in tasks
        )
        return cls("landscape", (), None, landscape=landscape, replies=replies)

    def choose(self, messages: list[object]) -> Scenario | None:
        user = next((text_of(m) for m in messages if isinstance(m, dict) and m.get("role") == "user"), "")
        system = next((text_of(m) for m in messages if isinstance(m, dict) and m.get("role") == "system"), "")
        if "Diagnose a coding agent" in user:
            return _scenario("diagnosis", [{"content": "```json\n" + json.dumps(DIAGNOSIS) + "\n```"}])
        if "Improve yourself" in user:
            return self._improve(Genome.parse(system), messages)
        genome = Genome.parse(system)
        task = next((r for r in self.replies if r[0] in user), None)
        if task is None or genome is None:
            return None  # the server answers that no scenario matches: a mistake to see, not to hide
        _problem, task_id, solved, missed = task
        return solved if self.landscape.solves(genome, task_id) else missed

    def _improve(self, implementer: Genome | None, messages: list[object]) -> Scenario:
        """Turn 0 reads the genome of the tree being changed; turn 1 writes its next child there (drawn once per
        conversation: later turns only finish)."""
        read = _bash(f"grep -h '^Landscape genome' {PROMPT}", "I will look at my genome.")
        turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
        replies = [text_of(m) for m in messages if isinstance(m, dict) and m.get("role") in ("tool", "user")][1:]
        parent = Genome.parse("\n".join(replies))
        if turn != 1 or parent is None or implementer is None:
            return _scenario("improve: read, then done", [read])
        with self.lock:
            k = self.asked.get(parent.id, 0)
            self.asked[parent.id] = k + 1
        child = self.landscape.child(parent, k, implementer)
        write = f"sed -i 's|^Landscape genome: .*$|{child.line()}|' {PROMPT}"
        if child.broken:
            write += " && printf 'def broken(:\\n' > dgm_agent/landscape_broken.py"
        return _scenario(f"improve: {child.id}", [read, _bash(write)])


def _miss_turns(task: Task) -> list[dict[str, object]]:
    """A wrong patch: a comment added to the first file the reference solution changes."""
    path = next(iter(solution_files(task)))
    return [_bash(f"printf '\\n# not sure this is the bug\\n' >> '{path}'"), {"content": "I changed what I could."}]


def real_run(
    params: Params,
    config: Config,
    *,
    budget: int,
    seed: int,
    directory: Path,
    tasks: int = 8,
    workers: int = 1,
    meta_agent: MetaAgent = "self",
) -> Run:
    """One ``gitdgm run`` in ``directory`` on the landscape of ``seed`` (which also seeds the policy): the seed agent
    is first evaluated on every task (outside the budget, as an in-memory run starts), then the configured policy
    spends ``budget`` evaluations."""
    chosen = landscape_tasks(tasks)
    landscape = Landscape(params, seed=seed, tasks=[t.id for t in chosen])
    archive = _experiment(directory, chosen, landscape)
    with FakeUpstream(LandscapeScript.of(landscape, chosen)) as model:
        config = copy.deepcopy(config)
        config.model.name, config.model.base_url = "scripted", model.base_url
        config.eval.suite = str(directory / "suite")
        config.sandbox.backend = "process"
        config.selfmod.meta_agent = meta_agent
        seeding = copy.deepcopy(config)
        seeding.selection.policy = "hgm"  # hgm evaluates the seed on every task, uncounted, then stops at 0
        with open_runtime(archive, seeding) as rt:
            run_step(rt, generations=None, max_evals=0, workers=workers)
        with open_runtime(archive, config) as rt:
            report = run_step(rt, seed=seed, generations=None, max_evals=budget, workers=workers)
    run = Run(config.selection.policy, seed, budget, evaluations=report.evaluations)
    archive.load()
    agents = archive.index.agents
    genomes = {a.id: _genome(archive, a.commit) for a in agents.values()}
    run.agents = sum(1 for a in agents.values() if a.status != "rejected")
    run.barren = len(agents) - run.agents
    children = [g for g in genomes.values() if g.kind not in ("seed", "broken")]
    run.children_quality = mean_quality(landscape, children)
    if report.best:
        run.best, run.quality = genomes[report.best].id, landscape.quality(genomes[report.best])
    for agent in agents.values():
        tasks_run = agent.record.tasks.values() if agent.record else ()
        graded = [t["outcome"] for t in tasks_run if t.get("outcome") in GRADED]
        run.outcomes[genomes[agent.id].id] = (graded.count("resolved"), len(graded))
    return run


def _experiment(directory: Path, tasks: list[Task], landscape: Landscape) -> Archive:
    """An archive whose seed agent carries the landscape's seed genome, and a suite of ``tasks`` in their order."""
    write_demo_suite(tasks, directory / "suite")
    order = {"schema": 1, "name": "landscape", "order": [t.id for t in tasks]}  # the in-memory run's order
    (directory / "suite" / "suite.toml").write_text(tomli_w.dumps(order))
    seed_dir = directory / "seed"
    shutil.copytree(seed_agent_dir(), seed_dir)
    with (seed_dir / PROMPT).open("a") as prompt:
        prompt.write("\n" + landscape.seed_genome().line() + "\n")
    archive, _seed = init_archive(directory / "archive", seed_dir)
    return archive


def _genome(archive: Archive, commit: str) -> Genome:
    genome = Genome.parse(archive.file_text(commit, PROMPT) or "")
    if genome is None:
        raise ValueError(f"agent {commit[:12]} has no genome line in {PROMPT}")
    return genome
