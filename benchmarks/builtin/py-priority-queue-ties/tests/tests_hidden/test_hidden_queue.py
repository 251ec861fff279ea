import pytest

from jobqueue import Job, JobQueue
from worker import drain


def test_equal_priorities_fifo():
    q = JobQueue()
    for name in ["a", "b", "c"]:
        q.push(Job(name), priority=1)
    q.push(Job("urgent"), priority=0)
    q.push(Job("d"), priority=1)
    assert q.peek().name == "urgent"
    assert [q.pop().name for _ in range(5)] == ["urgent", "a", "b", "c", "d"]
    with pytest.raises(IndexError, match="pop from empty queue"):
        q.pop()


def test_cancel():
    q = JobQueue()
    jobs = [Job(n) for n in "abc"]
    for j in jobs:
        q.push(j, priority=2)
    q.cancel(jobs[0])
    q.cancel(jobs[0])
    assert len(q) == 2
    assert q.peek().name == "b"
    assert drain(q, lambda j: None) == ["b", "c"]
    assert len(q) == 0


def test_cancel_all_then_empty():
    q = JobQueue()
    j = Job("only")
    q.push(j)
    q.cancel(j)
    assert len(q) == 0
    with pytest.raises(IndexError):
        q.peek()


def test_equal_payload_jobs_are_distinct():
    q = JobQueue()
    a, b = Job("same"), Job("same")
    q.push(a, 1)
    q.push(b, 1)
    q.cancel(a)
    assert q.pop() is b
