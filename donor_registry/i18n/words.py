"""Values typed in the user's words: Vietnamese or English, with or without diacritics.

`--sex nữ`, `--sex nu`, `--sex female`, `--type "gạn tách tiểu cầu"` and `--type
platelet_apheresis` all mean the same value. The words come from three places: the value itself,
its label in every catalog (labels.py), and the short forms spreadsheets use (below).
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import TypeVar

from donor_registry.i18n import LANGUAGES, use_language
from donor_registry.i18n.labels import label
from donor_registry.text import fold

E = TypeVar("E", bound=Enum)

# Short forms seen in chapters' spreadsheets, beside the labels (folded: no diacritics, lower case).
SHORT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "Sex": {"male": ("nam", "m", "trai"), "female": ("nu", "f", "gai"),
            "unknown": ("", "khac", "khong ro")},
    "DonationType": {
        "whole_blood": ("", "mau toan phan", "toan phan", "mau", "mtp"),
        "platelet_apheresis": ("tieu cau", "tieu cau gan tach", "gan tach tieu cau", "platelet",
                               "platelets"),
        "plasma_apheresis": ("huyet tuong", "gan tach huyet tuong", "plasma"),
        "red_cell_apheresis": ("hong cau", "khoi hong cau", "gan tach hong cau", "red cells",
                               "red cell"),
    },
    "Outcome": {"donated": ("da hien", "hien"), "deferred": ("hoan", "tam hoan")},
}
YES_WORDS = ("yes", "y", "true", "1", "co", "x", "dong y")
NO_WORDS = ("no", "n", "false", "0", "khong", "")


class UnknownWord(ValueError):
    """A word that names no value of the enum; `choices` are the words shown to the user."""

    def __init__(self, raw: str, choices: list[str]):
        super().__init__(raw)
        self.raw, self.choices = raw, choices


@cache
def vocabulary(enum_cls: type[Enum]) -> dict[str, Enum]:
    """{folded word: value} for every way of writing each value of `enum_cls`."""
    words: dict[str, Enum] = {}
    short = SHORT_FORMS.get(enum_cls.__name__, {})
    for member in enum_cls:
        value = str(member.value)
        spellings = {value, value.replace("_", " "), member.name, *short.get(value, ())}
        for language in LANGUAGES:
            with use_language(language):
                spellings.add(label(member))
        for spelling in spellings:
            words.setdefault(fold(spelling), member)
    return words


def parse(enum_cls: type[E], raw: str) -> E:
    """The value `raw` names; UnknownWord (with the words to show) when it names none."""
    found = vocabulary(enum_cls).get(fold(raw))
    if found is None:
        raise UnknownWord(raw, shown_words(enum_cls))
    return found  # type: ignore[return-value]


def shown_words(enum_cls: type[Enum]) -> list[str]:
    """The words listed in --help: each value's label in the current language."""
    return [label(member) for member in enum_cls]


def parse_yes_no(raw: str) -> bool:
    word = fold(raw)
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise UnknownWord(raw, ["có", "không"])
