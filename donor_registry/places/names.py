"""How a unit's name typed by a person becomes a lookup key.

"Phường 5", "P5", "P.05", "phuong 05" -> kind "ward", key "5"; "TP. Sóc Trăng", "Thanh pho
Soc Trang" -> kind "city", key "soc trang". Keys are folded (no diacritics, casefolded); the
marked key (diacritics kept) separates units the folded key cannot (Tân / Tấn).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from donor_registry.text import _canonical, strip_diacritics

# Prefix (folded) -> the kind it names. Longest first; a one-letter prefix needs a space or a
# digit after it ("P5", "Q. 1"), "tp" / "tx" / "tt" may be glued ("TPHCM": no syllable starts so).
_PREFIXES = [
    ("thanh pho", "city"), ("thi tran", "township"), ("thi xa", "town"), ("dac khu", "special_zone"),
    ("phuong", "ward"), ("huyen", "district"), ("quan", "urban_district"), ("tinh", "province"),
    ("xa", "commune"), ("t p", "city"), ("t x", "town"), ("t t", "township"),
]
_GLUED = [("tp", "city"), ("tx", "town"), ("tt", "township")]
_LETTERS = [("p", "ward"), ("f", "ward"), ("q", "urban_district"), ("h", "district"),
            ("x", "commune"), ("t", "province")]
_PUNCT = re.compile(r"[.,\-_/()]+")


@dataclass(frozen=True)
class NameKey:
    kind: str | None  # the kind the prefix named, if any
    folded: str  # without the prefix, folded
    marked: str  # without the prefix, diacritics kept, lower case
    whole: str  # the whole text folded (a name that starts like a prefix: "Phượng Xá")
    whole_marked: str


def _strip_prefix(folded: str) -> tuple[str | None, int]:
    """(kind, length of the prefix with its separator) for a folded, punctuation-free text."""
    for prefix, kind in _PREFIXES:
        if folded.startswith(prefix + " "):
            return kind, len(prefix) + 1
    for prefix, kind in _GLUED:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            return kind, len(prefix) + (folded[len(prefix)] == " ")
    for prefix, kind in _LETTERS:
        if len(folded) > 1 and folded[0] == prefix and (folded[1] == " " or folded[1].isdigit()):
            return kind, 1 + (folded[1] == " ")
    return None, 0


def _number(key: str) -> str:
    """"05" -> "5": numbered wards match with or without the leading zero."""
    return str(int(key)) if key.isdecimal() else key


def name_key_uncached(text: str) -> NameKey:
    """The lookup key of a unit name (the index builds its 30,000 keys with this: cached, they
    would stay in memory twice)."""
    marked = " ".join(_PUNCT.sub(" ", _canonical(text).lower()).split())
    # strip_diacritics maps each NFC letter to one letter, so both strings stay aligned.
    folded = strip_diacritics(marked)
    kind, cut = _strip_prefix(folded)
    core_folded, core_marked = folded[cut:].strip(), marked[cut:].strip()
    if not core_folded:  # the text was only a prefix ("Xã")
        kind, core_folded, core_marked = None, folded, marked
    return NameKey(kind, _number(core_folded), _number(core_marked), folded, marked)


@lru_cache(maxsize=1 << 14)
def name_key(text: str) -> NameKey:
    """The lookup key of a unit name as typed (cached: imports repeat a few thousand names)."""
    return name_key_uncached(text)
