from blog.posts import Post


def test_simple_url():
    assert Post("Release", 2024).url == "/2024/release/"
