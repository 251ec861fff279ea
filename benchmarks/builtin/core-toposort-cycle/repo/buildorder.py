"""Order build targets so that every target comes after what it depends on."""


class CycleError(ValueError):
    def __init__(self, cycle):
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


def build_order(deps):
    order, done = [], set()

    def visit(target):
        if target in done:
            return
        done.add(target)
        for dep in deps.get(target, ()):
            visit(dep)
        order.append(target)

    for target in set(deps):
        visit(target)
    return order
