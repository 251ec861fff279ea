"""Order build targets so that every target comes after what it depends on."""

import heapq


class CycleError(ValueError):
    def __init__(self, cycle):
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def build_order(deps):
    nodes = set(deps) | {d for ds in deps.values() for d in ds}
    waiting = {n: len(set(deps.get(n, ()))) for n in nodes}
    users = {n: [] for n in nodes}
    for target, ds in deps.items():
        for d in set(ds):
            users[d].append(target)
    ready = [n for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    if len(order) < len(nodes):
        raise CycleError(_find_cycle(deps, sorted(n for n in nodes if waiting[n] > 0)))
    return order


def _find_cycle(deps, stuck):
    path, seen, node = [], {}, stuck[0]
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(d for d in deps.get(node, ()) if d in stuck)
    return path[seen[node]:] + [node]
