"""Merging two writers' notes: a three-way merge of fan-out notes trees, and a TOML-aware merge of records.

git's own ``notes merge`` strategies either drop a side (``ours``/``theirs``) or glue the two texts together
(``union``, ``cat_sort_uniq``), which is not valid TOML. Here notes on different commits combine at tree level
(a subtree that only one side changed is taken whole, so a merge costs what changed, not what exists), and two
versions of one agent's record are merged field by field. The rule is a join — commutative, associative and
idempotent — so runners that merge in different orders end with the same bytes. It is documented in
docs/scale-out.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pygit2
import tomli_w
from pygit2.enums import FileMode

from gitdgm.archive.notes import named_entries, read_blob, read_tree
from gitdgm.archive.record import Record, RecordError

RANK = {"pending": 0, "evaluating": 1, "evaluated": 2, "rejected": 2}
DONE_SHARD_VALUES = ("done", "evaluated", "rejected")


@dataclass
class MergeResult:
    tree: pygit2.Oid
    merged: int = 0  # notes present on both sides with different content, merged by the rule
    warnings: list[str] = field(default_factory=list)


# --- records ----------------------------------------------------------------------------------------------------
def merge_record_data(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """One agent's record from two writers' versions (see docs/scale-out.md, "The merge rule")."""
    newer, older = sorted((a, b), key=_freshness, reverse=True)
    merged = _deep_merge(newer, older)
    merged["status"] = max((newer.get("status", "pending"), older.get("status", "pending")), key=_status_order)
    tasks = _merge_tasks(newer.get("tasks"), older.get("tasks"), newer, older)
    if tasks is not None:
        merged["tasks"] = tasks
    if isinstance(a.get("schema"), int) and isinstance(b.get("schema"), int):
        merged["schema"] = max(a["schema"], b["schema"])
    stamps = [r["updated_at"] for r in (a, b) if isinstance(r.get("updated_at"), str)]
    if stamps:
        merged["updated_at"] = max(stamps)
    shards = merged.get("shards")
    if not isinstance(shards, dict):
        shards = {}
    complete = _shards_complete(shards)
    if complete:
        verdicts = {str(v) for v in shards.values()}
        merged["status"] = "rejected" if verdicts == {"rejected"} else "evaluated"
    elif shards:
        merged["status"] = "evaluating"
    if tasks and (complete or a.get("tasks") != b.get("tasks")):
        _rescore(merged, tasks)
    return merged


def merge_note_bytes(ours: bytes, theirs: bytes, name: str) -> tuple[bytes, str | None]:
    """Merged record bytes and a warning when a side is not a record (that side is kept, never dropped)."""
    try:
        a = Record.parse(ours).data
    except RecordError as exc:
        return theirs, f"note {name[:12]}: local note unreadable ({exc}); kept the remote one"
    try:
        b = Record.parse(theirs).data
    except RecordError as exc:
        return ours, f"note {name[:12]}: remote note unreadable ({exc}); kept the local one"
    return tomli_w.dumps(merge_record_data(a, b)).encode("utf-8"), None


def keep_ours(ours: bytes, theirs: bytes, name: str) -> tuple[bytes, str | None]:
    """For notes that are not records (logs): keep the local version and say so."""
    return ours, f"note {name[:12]}: both sides changed it and it is not a record; kept the local version"


def _status_order(status: Any) -> tuple[int, int]:
    # evaluated beats rejected at the same rank: "rejected" means no valid patch on ANY task, so one evaluator
    # that found a valid patch outweighs one that did not
    return RANK.get(status, -1), 1 if status == "evaluated" else 0


def _freshness(record: Mapping[str, Any]) -> tuple[Any, ...]:
    return (_status_order(record.get("status")), str(record.get("updated_at", "")), _canonical(record))


def _canonical(value: Any) -> str:
    try:
        return tomli_w.dumps(value if isinstance(value, dict) else {"v": value})
    except (TypeError, ValueError):
        return repr(value)


def _deep_merge(newer: Mapping[str, Any], older: Mapping[str, Any]) -> dict[str, Any]:
    """Keys of both sides; tables merged recursively; on a scalar or list conflict the newer side's value."""
    merged = dict(older)
    for key, value in newer.items():
        if isinstance(value, dict) and isinstance(older.get(key), dict):
            merged[key] = _deep_merge(value, older[key])
        else:
            merged[key] = value
    return merged


def _merge_tasks(
    newer: Any, older: Any, newer_rec: Mapping[str, Any], older_rec: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Per-task results unioned; a task both sides ran keeps the newest result (its own stamp, else the record's)."""
    if not isinstance(newer, dict) or not isinstance(older, dict):
        return newer if isinstance(newer, dict) else older if isinstance(older, dict) else None
    merged = dict(older)
    for task, result in newer.items():
        other = merged.get(task)
        if other is None or other == result:
            merged[task] = result
            continue
        merged[task] = max((result, newer_rec), (other, older_rec), key=lambda rr: _task_key(*rr))[0]
    return merged


def _task_key(result: Any, record: Mapping[str, Any]) -> tuple[str, str, str]:
    stamp = result.get("finished_at", result.get("updated_at", "")) if isinstance(result, dict) else ""
    return str(stamp), str(record.get("updated_at", "")), _canonical(result)


def _shards_complete(shards: Mapping[str, Any]) -> bool:
    """True when every shard i/n of one n is present and finished."""
    counts: set[str] = set()
    seen: set[str] = set()
    for key, value in shards.items():
        index, _, total = str(key).partition("/")
        if not (index.isdigit() and total.isdigit()) or value not in DONE_SHARD_VALUES:
            return False
        counts.add(total)
        seen.add(index)
    if len(counts) != 1:
        return False
    count = int(counts.pop())
    return seen == {str(i) for i in range(1, count + 1)}


def _rescore(record: dict[str, Any], tasks: Mapping[str, Any]) -> None:
    results = [r for r in tasks.values() if isinstance(r, dict)]
    resolved = sum(1 for r in results if r.get("outcome") == "resolved")
    record["resolved"], record["attempted"] = resolved, len(results)
    record["score"] = resolved / len(results) if results else 0.0


# --- trees -------------------------------------------------------------------------------------------------------
BlobMerge = Callable[[bytes, bytes, str], tuple[bytes, "str | None"]]


def merge_trees(
    repo: pygit2.Repository,
    base: pygit2.Tree | None,
    ours: pygit2.Tree,
    theirs: pygit2.Tree,
    merge_blob: BlobMerge = merge_note_bytes,
) -> MergeResult:
    """Three-way merge of two notes trees; the result is in the fan-out layout.

    A fan-out subtree changed on one side only is taken whole; inside a subtree both changed, a note changed on
    one side is taken, a note deleted on one side and unchanged on the other is deleted, and a note both changed
    goes through ``merge_blob``. Flat notes written by plain git are read as if they were in the fan-out.
    """
    sides = [_split(repo, t) for t in (base, ours, theirs)]
    (b_fans, b_flat, _), (o_fans, o_flat, o_other), (t_fans, t_flat, _) = sides
    result = MergeResult(tree=ours.id)
    root = repo.TreeBuilder()
    for name, oid in o_other.items():
        root.insert(name, oid[0], oid[1])
    for fan in sorted(set(o_fans) | set(t_fans) | set(o_flat) | set(t_flat)):
        b, o, t = b_fans.get(fan), o_fans.get(fan), t_fans.get(fan)
        flat = fan in b_flat or fan in o_flat or fan in t_flat
        if not flat and (o == t or t == b):
            chosen = o
        elif not flat and o == b:
            chosen = t
        else:
            b_leaves, o_leaves, t_leaves = (
                _leaves(repo, fans.get(fan), flats.get(fan, {}))
                for fans, flats in ((b_fans, b_flat), (o_fans, o_flat), (t_fans, t_flat))
            )
            chosen = _merge_leaves(repo, fan, b_leaves, o_leaves, t_leaves, merge_blob, result)
        if chosen is not None:
            root.insert(fan, chosen, FileMode.TREE)
    result.tree = root.write()
    return result


def _split(
    repo: pygit2.Repository, tree: pygit2.Tree | None
) -> tuple[dict[str, pygit2.Oid], dict[str, dict[str, pygit2.Oid]], dict[str, tuple[pygit2.Oid, int]]]:
    """A notes tree's fan-out subtrees, flat notes grouped by fan, and any other entries."""
    fans: dict[str, pygit2.Oid] = {}
    flat: dict[str, dict[str, pygit2.Oid]] = {}
    other: dict[str, tuple[pygit2.Oid, int]] = {}
    for name, entry in named_entries(tree) if tree is not None else ():
        if entry.type_str == "tree" and len(name) == 2:
            fans[name] = entry.id
        elif entry.type_str == "blob" and len(name) == 40:
            flat.setdefault(name[:2], {})[name[2:]] = entry.id
        else:
            other[name] = (entry.id, entry.filemode)
    return fans, flat, other


def _leaves(
    repo: pygit2.Repository, subtree: pygit2.Oid | None, flat: Mapping[str, pygit2.Oid]
) -> dict[str, pygit2.Oid]:
    leaves = {name: leaf.id for name, leaf in named_entries(read_tree(repo, subtree))} if subtree is not None else {}
    return {**leaves, **flat}


def _merge_leaves(
    repo: pygit2.Repository,
    fan: str,
    base: Mapping[str, pygit2.Oid],
    ours: Mapping[str, pygit2.Oid],
    theirs: Mapping[str, pygit2.Oid],
    merge_blob: BlobMerge,
    result: MergeResult,
) -> pygit2.Oid | None:
    builder = repo.TreeBuilder()
    count = 0
    for name in set(ours) | set(theirs):
        b, o, t = base.get(name), ours.get(name), theirs.get(name)
        if o == t or t == b:
            chosen = o
        elif o == b:
            chosen = t
        elif o is None or t is None:  # deleted on one side, changed on the other: keep the change
            chosen = o or t
        else:
            data, warning = merge_blob(read_blob(repo, o), read_blob(repo, t), fan + name)
            chosen = repo.create_blob(data)
            result.merged += 1
            if warning:
                result.warnings.append(warning)
        if chosen is not None:
            builder.insert(name, chosen, FileMode.BLOB)
            count += 1
    return builder.write() if count else None
