"""The translated UI strings, by locale and key."""
from __future__ import annotations

from messages import format_message
from plurals import language

FALLBACK = "en"

CATALOG = {
    "en": {
        "inbox": "{count, plural, =0 {Your inbox is empty} one {You have # new message} "
                 "other {You have # new messages}}",
        "shared": "{owner} shared {count, plural, one {a file} other {# files}} with you",
        "quota": "You can't upload more than {limit} files.",
        "help": "Type '{name}' where the recipient's name should go.",
    },
    "pl": {
        "inbox": "{count, plural, =0 {Skrzynka jest pusta} one {Masz # nową wiadomość} "
                 "few {Masz # nowe wiadomości} many {Masz # nowych wiadomości} other {Masz # wiadomości}}",
        "shared": "{owner} udostępnia Ci {count, plural, one {plik} few {# pliki} many {# plików} other {# pliku}}",
    },
    "fr": {
        "inbox": "{count, plural, one {Vous avez # nouveau message} other {Vous avez # nouveaux messages}}",
    },
}


def translate(locale: str, key: str, **args) -> str:
    """The message `key` in locale (e.g. `pl-PL`), falling back to the language, then to English."""
    for candidate in (locale, language(locale), FALLBACK):
        pattern = CATALOG.get(candidate, {}).get(key)
        if pattern is not None:
            return format_message(pattern, locale, **args)
    raise KeyError(key)
