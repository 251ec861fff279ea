"""A priority queue of jobs for the worker pool."""
import heapq
import itertools
from dataclasses import dataclass, field


@dataclass(eq=False)
class Job:
    name: str
    payload: dict = field(default_factory=dict)


class JobQueue:
    """Lower priority numbers first; FIFO among equals (a counter breaks ties, so jobs are never compared).

    Cancelled jobs stay in the heap and are dropped lazily when they reach the top.
    """

    def __init__(self):
        self._heap = []
        self._counter = itertools.count()
        self._cancelled = set()
        self._live = 0

    def push(self, job: Job, priority: int = 10) -> None:
        heapq.heappush(self._heap, (priority, next(self._counter), job))
        self._live += 1

    def _discard_cancelled(self) -> None:
        while self._heap and id(self._heap[0][2]) in self._cancelled:
            self._cancelled.discard(id(heapq.heappop(self._heap)[2]))

    def pop(self) -> Job:
        self._discard_cancelled()
        if not self._heap:
            raise IndexError("pop from empty queue")
        self._live -= 1
        return heapq.heappop(self._heap)[2]

    def peek(self) -> Job:
        self._discard_cancelled()
        if not self._heap:
            raise IndexError("peek at empty queue")
        return self._heap[0][2]

    def cancel(self, job: Job) -> None:
        if id(job) not in self._cancelled and any(entry[2] is job for entry in self._heap):
            self._cancelled.add(id(job))
            self._live -= 1

    def __len__(self) -> int:
        return self._live
