"""``selfmod.meta_agent``: who implements a change. "self" (the DGM): the parent's own code; "seed" (the paper's
"without self-improvement" ablation): always the seed's code, on a copy of the parent's tree.

A real archive, the real process sandbox and a scripted model. The parent differs from the seed by one line in its
system prompt; the scripted model answers the same instruction differently depending on whether the system prompt
it is sent carries that line, so the file the run leaves shows whose code ran.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pygit2
import pytest
from step_helpers import make_archive, set_scenarios

from gitdgm.archive import Agent, Archive
from gitdgm.archive.record import Record
from gitdgm.config import parse_config
from gitdgm.engine.selfmod import SELF_MODIFICATION, self_modify
from gitdgm.engine.services import archive_config, open_runtime
from gitdgm.errors import ConfigError

PROMPT = "dgm_agent/prompts/system.md"
PARENT_LINE = "You are the parent agent, not the seed."
INSTRUCTION = "Leave a note saying whose code you are."
NOTE = "ran-by.txt"


def leave(text: str) -> list[dict]:
    return [
        {"content": "Leaving the note.",
         "tool_calls": [{"name": "bash", "arguments": {"command": f"printf '{text}\\n' > {NOTE}"}}]},
        {"content": "Done."},
    ]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """The test archive plus an admitted child of the seed whose system prompt has one more line."""
    path = tmp_path_factory.mktemp("meta") / "archive"
    archive = make_archive(path)
    set_scenarios(path, [
        {"name": "parent-code", "match": {"user": INSTRUCTION, "system": PARENT_LINE}, "turns": leave("parent")},
        {"name": "seed-code", "match": {"user": INSTRUCTION}, "turns": leave("seed")},
    ])
    seed = archive.load().seed()
    repo = archive.repo
    index = pygit2.Index()
    index.read_tree(repo[seed.commit].peel(pygit2.Tree))
    prompt = archive.file_text(seed.commit, PROMPT) + f"\n{PARENT_LINE}\n"
    index.add(pygit2.IndexEntry(PROMPT, repo.create_blob(prompt.encode()), pygit2.enums.FileMode.BLOB))
    commit = archive.create_agent_commit(str(index.write_tree(repo)), seed.commit, "Know that you are the parent")
    archive.set_branch(commit)
    archive.write_record(commit, Record.new(status="evaluated", parent=seed.id, generation=1, score=0.5))
    archive.load()
    return archive


def parent_of(archive: Archive) -> Agent:
    (parent,) = [a for a in archive.index.agents.values() if a.parent is not None]
    assert parent.parent == archive.index.seed().id and parent.commit != archive.index.seed().commit
    return parent


def with_note(archive: Archive, base: Agent, text: str) -> str:
    """``base``'s tree with the note added, as the tree id the archive stores."""
    repo = archive.repo
    index = pygit2.Index()
    index.read_tree(repo[base.commit].peel(pygit2.Tree))
    index.add(pygit2.IndexEntry(NOTE, repo.create_blob(text.encode()), pygit2.enums.FileMode.BLOB))
    return str(index.write_tree(repo))


@pytest.mark.parametrize("meta_agent, ran", [("self", "parent"), ("seed", "seed")])
def test_meta_agent_picks_whose_code_runs_on_the_parents_tree(archive: Archive, meta_agent: str, ran: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    parent = parent_of(archive)
    config = archive_config(archive)
    config = dataclasses.replace(config, selfmod=dataclasses.replace(config.selfmod, meta_agent=meta_agent))
    with open_runtime(archive, config=config) as rt:
        runs: list[tuple[str, str]] = []
        open_run = rt.gateway.open_run

        def record(agent: str, task: str, *args: Any, **kwargs: Any) -> Any:
            runs.append((agent, task))
            return open_run(agent, task, *args, **kwargs)

        monkeypatch.setattr(rt.gateway, "open_run", record)
        mod = self_modify(rt, parent, INSTRUCTION)
    assert mod.run.result.exit_code == 0, mod.run.log_tail
    # what ran: only the parent's code sends its extra system-prompt line, so the note names whose code it was
    assert archive.repo[mod.tree].peel(pygit2.Tree)[NOTE].data.decode() == f"{ran}\n", mod.run.log_tail
    # what changed: the parent's tree (its prompt line kept) plus the note, never the seed's tree plus the note
    assert mod.tree == with_note(archive, parent, f"{ran}\n")
    assert mod.tree != with_note(archive, archive.index.seed(), f"{ran}\n")
    assert PARENT_LINE in archive.repo[mod.tree].peel(pygit2.Tree)[PROMPT].data.decode()
    # the run is accounted to the parent, whoever's code made the change
    assert runs == [(parent.id, SELF_MODIFICATION)]


def test_an_unknown_meta_agent_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config('[selfmod]\nmeta_agent = "other"\n', "my.toml")
    message = str(caught.value)
    assert "\n" not in message
    for part in ["my.toml", "selfmod.meta_agent = 'other'", "use one of: self, seed"]:
        assert part in message, message


def test_the_default_is_the_dgm_itself() -> None:
    assert parse_config("").selfmod.meta_agent == "self"
    assert parse_config('[selfmod]\nmeta_agent = "seed"\n').selfmod.meta_agent == "seed"
