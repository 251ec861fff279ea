from summary import summary


def test_short_job():
    assert summary("build", 100.0, 145.5, True) == "build: ok, took 45s"
