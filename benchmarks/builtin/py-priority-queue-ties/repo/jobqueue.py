"""A priority queue of jobs for the worker pool."""
import heapq
from dataclasses import dataclass, field


@dataclass
class Job:
    name: str
    payload: dict = field(default_factory=dict)


class JobQueue:
    def __init__(self):
        self._heap = []

    def push(self, job: Job, priority: int = 10) -> None:
        heapq.heappush(self._heap, (priority, job))

    def pop(self) -> Job:
        if not self._heap:
            raise IndexError("pop from empty queue")
        return heapq.heappop(self._heap)[1]

    def peek(self) -> Job:
        if not self._heap:
            raise IndexError("peek at empty queue")
        return self._heap[0][1]

    def cancel(self, job: Job) -> None:
        job.payload["cancelled"] = True

    def __len__(self) -> int:
        return len(self._heap)
