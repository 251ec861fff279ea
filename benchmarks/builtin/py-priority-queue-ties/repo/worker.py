"""Drain a JobQueue, running each job with a handler."""
from jobqueue import JobQueue


def drain(queue: JobQueue, handler) -> list:
    done = []
    while len(queue):
        job = queue.pop()
        handler(job)
        done.append(job.name)
    return done
