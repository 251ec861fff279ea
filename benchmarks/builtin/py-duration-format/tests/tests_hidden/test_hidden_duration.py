import pytest

from summary import summary
from timefmt import format_duration


@pytest.mark.parametrize("secs,text", [
    (7200, "2h 0m 0s"), (5405, "1h 30m 5s"), (3599, "59m 59s"), (245, "4m 5s"),
    (59.9, "59s"), (0, "0s"), (90061, "25h 1m 1s"),
])
def test_format(secs, text):
    assert format_duration(secs) == text


def test_negative():
    with pytest.raises(ValueError):
        format_duration(-1)


def test_summary_long_job():
    assert summary("deploy", 0, 3725, False) == "deploy: FAILED, took 1h 2m 5s"
