from crawler import Frontier
from urlnorm import canonicalize


def test_host_case_and_fragment():
    assert canonicalize("https://EXAMPLE.com/#top") == "https://example.com/"


def test_frontier_dedupes():
    f = Frontier(["https://example.com/"])
    assert f.add_links("https://example.com/", ["https://example.com/#main", "https://example.com/news"]) == [
        "https://example.com/news"]
    assert [f.next(), f.next(), f.next()] == ["https://example.com/", "https://example.com/news", None]
