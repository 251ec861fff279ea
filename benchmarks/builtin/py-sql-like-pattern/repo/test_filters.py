from filters import apply_filter, parse_filter

ROWS = [{"name": "Jane"}, {"name": "John"}, {"name": "Joan"}, {"name": "Bob"}]


def test_parse():
    assert parse_filter("name NOT LIKE 'O''Brien%'") == {
        "column": "name", "negate": True, "ignore_case": False, "pattern": "O'Brien%", "escape": None}


def test_simple_like():
    assert [r["name"] for r in apply_filter(ROWS, "name LIKE 'J_n%'")] == ["Jane"]
    assert [r["name"] for r in apply_filter(ROWS, "name NOT LIKE 'J%'")] == ["Bob"]
