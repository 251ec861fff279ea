from settings import load_config


def test_top_level_override():
    assert load_config("workers = 8")["workers"] == 8
