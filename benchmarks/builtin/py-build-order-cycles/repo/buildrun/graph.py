"""Dependency graph of build targets."""


class CycleError(Exception):
    def __init__(self, cycle: list):
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


class UnknownTarget(KeyError):
    pass


def build_order(deps: dict, targets=None) -> list:
    """Targets in an order where each comes after everything it depends on."""
    wanted = set(targets) if targets else set(deps)
    indegree = {t: 0 for t in deps}
    for t, needs in deps.items():
        for n in needs:
            indegree[t] += 1
    ready = [t for t, d in indegree.items() if d == 0]
    order = []
    while ready:
        t = ready.pop()
        order.append(t)
        for other, needs in deps.items():
            if t in needs:
                indegree[other] -= 1
                if indegree[other] == 0:
                    ready.append(other)
    return [t for t in order if t in wanted]
