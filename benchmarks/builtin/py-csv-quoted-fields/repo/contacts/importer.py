"""Import contacts from the exporter's CSV text."""
from dataclasses import dataclass

from contacts.csvline import split_row

HEADER = ["name", "email", "note"]


@dataclass
class Contact:
    name: str
    email: str
    note: str


def import_contacts(text: str) -> list:
    lines = text.splitlines()
    if not lines or split_row(lines[0]) != HEADER:
        raise ValueError("missing header: name,email,note")
    contacts = []
    for no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = split_row(line, no)
        if len(fields) != len(HEADER):
            raise ValueError(f"line {no}: expected {len(HEADER)} fields, got {len(fields)}")
        contacts.append(Contact(*fields))
    return contacts
