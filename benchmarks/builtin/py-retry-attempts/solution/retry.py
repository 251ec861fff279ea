"""Retrying flaky calls with exponential backoff."""
import functools
import time


def retry(attempts: int = 3, retry_on=(Exception,), base_delay: float = 0.5, max_delay: float = 8.0,
          sleep=time.sleep):
    """Call the function up to `attempts` times, sleeping between attempts that raised one of `retry_on`."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    retry_on = tuple(retry_on)

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for n in range(attempts):
                try:
                    return func(*args, **kwargs)
                except retry_on:
                    if n == attempts - 1:
                        raise
                    sleep(min(base_delay * 2 ** n, max_delay))
        return wrapper
    return decorate
