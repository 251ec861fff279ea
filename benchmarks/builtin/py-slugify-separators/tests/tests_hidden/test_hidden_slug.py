import pytest

from blog.posts import Post
from blog.text import slugify


@pytest.mark.parametrize("title,slug", [
    ("  Hello,   World!  ", "hello-world"),
    ("Crème Brûlée", "creme-brulee"),
    ("C++ / Rust -- a comparison", "c-rust-a-comparison"),
    ("!!!", "untitled"),
    ("", "untitled"),
    ("already-a-slug", "already-a-slug"),
    ("Version 2.0", "version-2-0"),
])
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_max_length_no_trailing_dash():
    assert slugify("abcd efgh", max_length=5) == "abcd"


def test_post_url():
    assert Post("What's new?", 2023).url == "/2023/what-s-new/"
