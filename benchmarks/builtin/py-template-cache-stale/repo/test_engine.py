from engine import Engine
from loader import DictLoader


def test_render_and_cache():
    e = Engine(DictLoader({"hi": "Hello {{ name }}!"}))
    assert e.render("hi", {"name": "Ann"}) == "Hello Ann!"
    assert e.render("hi", {"name": "Bob"}) == "Hello Bob!"
    assert e.compile_count == 1
