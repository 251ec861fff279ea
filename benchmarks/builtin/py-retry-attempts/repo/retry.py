"""Retrying flaky calls with exponential backoff."""
import functools
import time


def retry(attempts: int = 3, retry_on=(Exception,), base_delay: float = 0.5, max_delay: float = 8.0,
          sleep=time.sleep):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            n = 0
            while True:
                try:
                    return func(*args, **kwargs)
                except Exception:
                    if n > attempts:
                        raise
                    sleep(base_delay * 2 ** n)
                    n += 1
        return wrapper
    return decorate
