import pytest

from crawler import Frontier
from urlnorm import canonicalize

CASES = [
    ("HTTP://Example.COM", "http://example.com/"),
    ("https://example.com/Docs/Intro", "https://example.com/Docs/Intro"),
    ("https://example.com/item?id=AbC", "https://example.com/item?id=AbC"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("https://example.com:8080/", "https://example.com:8080/"),
    ("http://example.com:8000/x", "http://example.com:8000/x"),
    ("http://example.com:/x", "http://example.com/x"),
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/a/b/", "http://example.com/a/b/"),
    ("http://example.com/a/b/..", "http://example.com/a/"),
    ("http://example.com/a/b/.", "http://example.com/a/b/"),
    ("http://example.com/../../a", "http://example.com/a"),
    ("http://example.com/a//b", "http://example.com/a//b"),
    ("http://example.com/a/%2E%2E/b", "http://example.com/b"),
    ("http://example.com/a/%7Euser", "http://example.com/a/~user"),
    ("http://example.com/a/%7euser", "http://example.com/a/~user"),
    ("http://example.com/%41%62c", "http://example.com/Abc"),
    ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
    ("http://example.com/a%2Fb", "http://example.com/a%2Fb"),
    ("http://example.com/my%20file", "http://example.com/my%20file"),
    ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
    ("http://example.com/page#section", "http://example.com/page"),
    ("http://example.com/?b=2&a=1", "http://example.com/?a=1&b=2"),
    ("http://example.com/?tag=b&tag=a", "http://example.com/?tag=b&tag=a"),
    ("http://example.com/?z=1&tag=b&a=0&tag=a", "http://example.com/?a=0&tag=b&tag=a&z=1"),
    ("http://example.com/?utm_source=x&id=5&fbclid=y&gclid=z&utm_medium=m", "http://example.com/?id=5"),
    ("http://example.com/p?utm_source=news", "http://example.com/p"),
    ("http://example.com/p?", "http://example.com/p"),
    ("http://example.com/?q=a+b", "http://example.com/?q=a+b"),
    ("http://example.com/?q=a%20b", "http://example.com/?q=a%20b"),
    ("http://example.com/?q=%7e%2f", "http://example.com/?q=~%2F"),
    ("http://example.com/?a=&b=1", "http://example.com/?a=&b=1"),
    ("http://example.com/?debug&page=2", "http://example.com/?debug&page=2"),
    ("http://example.com/?a=1&&b=2&", "http://example.com/?a=1&b=2"),
    ("http://example.com?x=1", "http://example.com/?x=1"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonicalize(url, expected):
    assert canonicalize(url) == expected


@pytest.mark.parametrize("url", [expected for _, expected in CASES])
def test_canonical_form_is_stable(url):
    assert canonicalize(url) == url


def test_relative_links():
    page = "https://Example.com/blog/post?id=1"
    f = Frontier([page])
    new = f.add_links(page, [
        "../about",
        "/Contact#form",
        "post?id=1",
        "mailto:press@example.com",
        "javascript:void(0)",
        "#top",
        "https://example.com:443/about",
        "//cdn.example.com/x.js",
        "post?id=2&utm_campaign=spring",
        "ftp://example.com/file",
        "page2",
    ])
    assert new == [
        "https://example.com/about",
        "https://example.com/Contact",
        "https://cdn.example.com/x.js",
        "https://example.com/blog/post?id=2",
        "https://example.com/blog/page2",
    ]
    assert len(f) == 6


def test_distinct_pages_stay_distinct():
    f = Frontier()
    urls = ["https://example.com/Docs/Intro", "https://example.com/docs/intro", "https://example.com/a/b",
            "https://example.com/a/b/", "https://example.com/?tag=a&tag=b", "https://example.com/?tag=b&tag=a",
            "https://example.com:8443/"]
    assert [f.add(u) for u in urls] == [True] * len(urls)
    same = ["https://EXAMPLE.com/Docs/Intro#x", "https://example.com:443/a/./c/../b",
            "https://example.com/?utm_source=a&tag=a&tag=b"]
    assert [f.add(u) for u in same] == [False] * len(same)
