"""Plural categories (CLDR names: zero, one, two, few, many, other) for whole numbers, per language."""
from __future__ import annotations


def language(locale: str) -> str:
    """`pl-PL`, `pl_PL` and `PL` are all Polish."""
    return locale.replace("_", "-").split("-")[0].lower()


def plural_category(locale: str, n: int) -> str:
    lang = language(locale)
    if lang == "en" or lang == "de":
        return "one" if n == 1 else "other"
    if lang == "fr":
        return "one" if n in (0, 1) else "other"
    if lang == "pl":
        if n == 1:
            return "one"
        if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
            return "few"
        return "many"
    return "other"  # ja, zh, ...: no plural forms
