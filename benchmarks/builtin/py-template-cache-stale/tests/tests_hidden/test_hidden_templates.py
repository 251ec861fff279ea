import pytest

from pages import Site


def make():
    return Site({
        "home": 'Welcome {{ user }}\n{% include "footer" %}',
        "footer": "(c) {{ year }}",
    })


def test_update_is_seen():
    s = make()
    assert s.page("home", user="ann", year=2024) == "Welcome ann\n(c) 2024"
    s.update_template("home", 'Hi {{ user }}\n{% include "footer" %}')
    assert s.page("home", user="ann", year=2024) == "Hi ann\n(c) 2024"


def test_included_template_update_is_seen():
    s = make()
    s.page("home", user="a", year=1)
    s.update_template("footer", "-- {{ year }} --")
    assert s.page("home", user="a", year=1) == "Welcome a\n-- 1 --"


def test_removed_template_raises():
    s = make()
    s.page("footer", year=1)
    s.remove_template("footer")
    with pytest.raises(KeyError):
        s.page("footer", year=1)


def test_unchanged_templates_stay_cached():
    s = make()
    for _ in range(5):
        s.page("home", user="x", year=2)
    assert s.engine.compile_count == 2
    s.update_template("footer", "bye")
    s.page("home", user="x", year=2)
    s.page("home", user="x", year=2)
    assert s.engine.compile_count == 3
