"""Dependency graph of build targets."""
import heapq


class CycleError(Exception):
    def __init__(self, cycle: list):
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


class UnknownTarget(KeyError):
    pass


def _closure(deps: dict, targets) -> set:
    """The targets and everything they need, checking that every name is declared."""
    seen, stack = set(), list(targets)
    for t in stack:
        if t not in deps:
            raise UnknownTarget(f"unknown target {t!r}")
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen.add(t)
        for n in deps[t]:
            if n not in deps:
                raise UnknownTarget(f"target {t!r} depends on unknown target {n!r}")
            stack.append(n)
    return seen


def _find_cycle(deps: dict, nodes: set) -> list:
    """A cycle among nodes (each of which is on or leads to a cycle), in dependency order."""
    start = min(nodes)
    path, index = [], {}
    node = start
    while node not in index:
        index[node] = len(path)
        path.append(node)
        node = min(n for n in deps[node] if n in nodes)
    return path[index[node]:] + [node]


def build_order(deps: dict, targets=None) -> list:
    """Targets in an order where each comes after everything it depends on; ties broken alphabetically."""
    nodes = _closure(deps, targets if targets else list(deps))
    waiting = {t: len(set(deps[t])) for t in nodes}
    dependents = {t: [] for t in nodes}
    for t in nodes:
        for n in set(deps[t]):
            dependents[n].append(t)
    ready = [t for t, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for other in dependents[t]:
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, other)
    if len(order) < len(nodes):
        raise CycleError(_find_cycle(deps, nodes - set(order)))
    return order
