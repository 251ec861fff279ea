from contacts.importer import import_contacts


def test_plain_rows():
    rows = import_contacts("name,email,note\nAda,ada@example.com,first\n")
    assert rows[0].name == "Ada" and rows[0].note == "first"
