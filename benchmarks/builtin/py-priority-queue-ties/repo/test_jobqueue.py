from jobqueue import Job, JobQueue


def test_priority_order():
    q = JobQueue()
    q.push(Job("low"), priority=5)
    q.push(Job("high"), priority=1)
    assert q.pop().name == "high"
