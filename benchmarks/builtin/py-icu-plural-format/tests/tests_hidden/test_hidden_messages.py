import pytest

from catalog import translate
from messages import MessageError, format_message
from plurals import plural_category


def test_exact_values_win():
    assert translate("en", "inbox", count=0) == "Your inbox is empty"
    assert translate("en", "inbox", count=1) == "You have 1 new message"
    assert translate("en", "inbox", count=7) == "You have 7 new messages"
    p = "{n, plural, =1 {just one} one {# thing} =2 {a pair} other {# things}}"
    assert [format_message(p, n=i) for i in (1, 2, 3)] == ["just one", "a pair", "3 things"]


def test_nested_arguments_and_plurals():
    p = "{count, plural, one {{owner} shared a file} other {{owner} shared # files}}"
    assert format_message(p, count=1, owner="Ann") == "Ann shared a file"
    assert format_message(p, count=4, owner="Bob") == "Bob shared 4 files"
    p = ("{folders, plural, one {# folder} other {# folders}} with "
         "{files, plural, =0 {no files} one {# file in {where}} other {# files in {where}}}")
    assert format_message(p, folders=1, files=0, where="/tmp") == "1 folder with no files"
    assert format_message(p, folders=2, files=1, where="/tmp") == "2 folders with 1 file in /tmp"
    p = "{a, plural, other {# outer {b, plural, one {# inner} other {# inners}} # again}}"
    assert format_message(p, a=5, b=1) == "5 outer 1 inner 5 again"


def test_whitespace_is_optional():
    p = "{n,plural,one{# item}other{# items}}"
    assert format_message(p, n=1) == "1 item"
    assert format_message(p, n=2) == "2 items"
    p = "{ n , plural ,\n  =0 {none}\n  other {# items} }"
    assert format_message(p, n=0) == "none"
    assert format_message(p, n=9) == "9 items"


def test_hash_outside_plural_is_literal():
    assert format_message("Ticket #{id}", id=42) == "Ticket #42"


def test_apostrophes():
    assert translate("en", "help") == "Type {name} where the recipient's name should go."
    assert translate("en", "quota", limit=5) == "You can't upload more than 5 files."
    assert format_message("It''s {n}", n=3) == "It's 3"
    assert format_message("'{'{n}'}'", n=3) == "{3}"
    assert format_message("{n, plural, other {'#' is # and '{x}'}}", n=2) == "# is 2 and {x}"
    assert format_message("'{a ''b'' c}'") == "{a 'b' c}"


@pytest.mark.parametrize(("pattern", "args"), [
    ("Hello {name}", {}),
    ("{n, plural, one {# a} other {# b}}", {}),
    ("{n, plural, one {# {who}} other {# {who}}}", {"n": 1}),
    ("{n, plural, one {x} other {y}}", {"n": "three"}),
    ("{n, plural, one {x}}", {"n": 1}),
    ("{n, plural, one {x} other {y}", {"n": 1}),
    ("Hello {name", {"name": "x"}),
    ("Hello name}", {}),
    ("{n, plural, lots {x} other {y}}", {"n": 1}),
    ("{}", {}),
])
def test_errors(pattern, args):
    with pytest.raises(MessageError):
        format_message(pattern, **args)


def test_missing_argument_is_named():
    with pytest.raises(MessageError, match="owner"):
        translate("en", "shared", count=2)


@pytest.mark.parametrize(("n", "category"), [
    (1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"), (12, "many"), (14, "many"),
    (21, "many"), (22, "few"), (24, "few"), (25, "many"), (102, "few"), (112, "many"), (0, "many"),
])
def test_polish_rules(n, category):
    assert plural_category("pl", n) == category


def test_locale_fallback():
    assert translate("pl-PL", "inbox", count=22) == "Masz 22 nowe wiadomości"
    assert translate("pl_PL", "inbox", count=12) == "Masz 12 nowych wiadomości"
    assert translate("pl", "inbox", count=0) == "Skrzynka jest pusta"
    assert translate("pl-PL", "shared", owner="Ola", count=3) == "Ola udostępnia Ci 3 pliki"
    assert translate("pl-PL", "quota", limit=3) == "You can't upload more than 3 files."
    assert translate("fr-CA", "inbox", count=0) == "Vous avez 0 nouveau message"
    assert translate("de-AT", "inbox", count=1) == "You have 1 new message"
