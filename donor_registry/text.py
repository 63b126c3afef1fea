"""Vietnamese text: NFC, tone placement, search folding, collation, name parts, masking."""

import re
import unicodedata
from functools import lru_cache

from donor_registry.i18n import _

# Combining tone marks -> rank in the Vietnamese tone order (none = 0).
_TONES = {
    "\u0300": 1,  # huyền
    "\u0309": 2,  # hỏi
    "\u0303": 3,  # ngã
    "\u0301": 4,  # sắc
    "\u0323": 5,  # nặng
}
_TONE_MARK = {rank: mark for mark, rank in _TONES.items()}
_VOWELS = frozenset("aeiouy")
# Open-syllable endings whose tone moves to the first vowel in the classic style.
_CLASSIC_PAIRS = frozenset({("o", "a"), ("o", "e"), ("u", "y")})

# The Vietnamese alphabet with f j w z (foreign names) where ICU's "vi" collator puts them.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_DIGIT_BASE = len(_ALPHABET)
_OTHER_BASE = _DIGIT_BASE + 10


def nfc(s: str) -> str:
    """Return the NFC form of s."""
    return unicodedata.normalize("NFC", s)


def _clusters(word: str) -> list[tuple[str, str, int]]:
    """Split a word into (base char, non-tone marks, tone rank) clusters from its NFD form."""
    clusters: list[list] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch) and clusters:
            if ch in _TONES:
                clusters[-1][2] = _TONES[ch]
            else:
                clusters[-1][1] += ch
        else:
            clusters.append([ch, "", 0])
    return [(base, marks, tone) for base, marks, tone in clusters]


# Names repeat the same few thousand syllables, so the per-word work is cached: an import of
# a million rows then normalises each distinct syllable once.
@lru_cache(maxsize=1 << 16)
def _classic_tone_word(word: str) -> str:
    """Move the tone of an open oa/oe/uy syllable to its first vowel (hoà -> hòa)."""
    parts = _clusters(word)
    if len(parts) < 2:
        return word
    (b1, m1, _), (b2, m2, t2) = parts[-2], parts[-1]
    if m1 or m2 or t2 == 0 or (b1.lower(), b2.lower()) not in _CLASSIC_PAIRS:
        return word
    onset = [base.lower() for base, _, _ in parts[:-2]]
    # In "qu" the u is part of the consonant (quý), and a vowel before the pair means
    # this is not a plain oa/oe/uy syllable.
    if (onset and onset[-1] == "q") or any(c in _VOWELS for c in onset):
        return word
    parts[-2], parts[-1] = (b1, m1, t2), (b2, m2, 0)
    return nfc("".join(base + marks + _TONE_MARK.get(tone, "") for base, marks, tone in parts))


def _canonical(s: str) -> str:
    """Collapse whitespace, NFC, and put tones in the classic place, keeping case."""
    # str.split() splits on the same whitespace as \s and drops the empty ends.
    return nfc(" ".join([_classic_tone_word(w) for w in s.split()]))


def normalize_name(raw: str) -> str:
    """Clean a person's name: whitespace, NFC, classic tone placement, title case if one-case."""
    name = _canonical(raw or "")
    if not name:
        raise ValueError(_("name is empty"))
    if name.isupper() or name.islower():
        name = name.title()
    return name


def strip_diacritics(s: str) -> str:
    """Remove Vietnamese diacritics, keeping case and spacing ("Đặng" -> "Dang")."""
    decomposed = unicodedata.normalize("NFD", s)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return nfc(bare.replace("đ", "d").replace("Đ", "D"))


def fold(s: str) -> str:
    """Search key: no diacritics, đ -> d, casefolded, whitespace collapsed."""
    return " ".join(_fold_word(word) for word in s.split())


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    return strip_diacritics(word).casefold()


def name_parts(full: str) -> tuple[str, str, str]:
    """Split a full name into (family, middle, given); a one-word name is given only."""
    words = full.split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def _letter_rank(letter: str) -> int:
    """Rank of a lower-case letter with its non-tone marks; digits, then others, sort last."""
    rank = _LETTER_RANK.get(letter)
    if rank is not None:
        return rank
    if len(letter) == 1 and "0" <= letter <= "9":
        return _DIGIT_BASE + int(letter)
    return _OTHER_BASE + ord(letter[0])


def _part_key(part: str) -> tuple[tuple, tuple]:
    """(letters, tones) key for one name part: base letters first, tones break ties."""
    letters: list[tuple[int, ...]] = []
    tones: list[tuple[int, ...]] = []
    for word in _canonical(part).split():
        clusters = _clusters(word.lower())
        letters.append(tuple(_letter_rank(nfc(base + marks)) for base, marks, _ in clusters))
        tones.append(tuple(tone for _, _, tone in clusters))
    return tuple(letters), tuple(tones)


def collation_key(full_name: str) -> tuple:
    """Vietnamese sort key: given name, then middle, then family, each in Vietnamese order."""
    family, middle, given = name_parts(full_name)
    return _part_key(given), _part_key(middle), _part_key(family)


def mask_national_id(s: str) -> str:
    """Mask a national ID except its last 3 characters ("*********123")."""
    value = "".join(s.split())
    if len(value) <= 3:
        return "*" * len(value)
    return "*" * (len(value) - 3) + value[-3:]


# C0 controls but tab and line breaks, DEL and C1 controls: they print as nothing, and
# PostgreSQL cannot store NUL in text. Input holding one is refused, naming it.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_reason(value: str) -> str | None:
    """Why text holding a control character is refused (naming it and where), or None."""
    found = CONTROL_CHARACTER.search(value)
    if found is None:
        return None
    char = found.group()
    name = "NUL" if char == "\x00" else f"U+{ord(char):04X}"
    return f"holds a control character ({name}) at character {found.start() + 1}, which cannot be stored"
