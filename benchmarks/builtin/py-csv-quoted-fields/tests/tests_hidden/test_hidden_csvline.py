import pytest

from contacts.csvline import split_row
from contacts.importer import import_contacts


def test_quoted_comma_and_quotes():
    assert split_row('"Doe, Jane",jane@example.com,"She said ""hi"""') == [
        "Doe, Jane", "jane@example.com", 'She said "hi"']


def test_empty_fields():
    assert split_row("a,,c") == ["a", "", "c"]
    assert split_row("a,b,") == ["a", "b", ""]
    assert split_row('"",x') == ["", "x"]


def test_plain():
    assert split_row("x,y,z\r\n") == ["x", "y", "z"]


def test_unterminated_quote():
    with pytest.raises(ValueError, match="line 7"):
        split_row('"abc,def', 7)


def test_import():
    text = 'name,email,note\n"Doe, Jane",jane@example.com,"She said ""hi"""\nBo,bo@example.com,\n'
    rows = import_contacts(text)
    assert [(r.name, r.note) for r in rows] == [("Doe, Jane", 'She said "hi"'), ("Bo", "")]
