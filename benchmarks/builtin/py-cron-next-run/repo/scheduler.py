"""Which jobs run next: merges the schedules of several cron jobs."""
from __future__ import annotations

import heapq
from datetime import datetime

from cron import CronExpr


def upcoming(jobs: dict[str, str], after: datetime, count: int) -> list[tuple[datetime, str]]:
    """The next `count` runs of all jobs after `after`, as (time, job name), in time order (ties by name)."""
    exprs = {name: CronExpr(text) for name, text in jobs.items()}
    heap = [(expr.next_run(after), name) for name, expr in exprs.items()]
    heapq.heapify(heap)
    runs = []
    while heap and len(runs) < count:
        when, name = heapq.heappop(heap)
        runs.append((when, name))
        heapq.heappush(heap, (exprs[name].next_run(when), name))
    return runs
