"""SMS length: GSM-7 or UCS-2, and how many segments a text costs."""

import unicodedata
from dataclasses import dataclass

# GSM 03.38 default alphabet (0x1B, the escape to the extension table, left out).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs an escape septet plus its own.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}  # (single message, per part)


@dataclass(frozen=True)
class SegmentInfo:
    """Encoding, length in units of that encoding (septets or UTF-16 units), segments."""

    encoding: str  # "GSM-7" | "UCS-2"
    characters: int
    segments: int


def _costs(text: str) -> tuple[str, list[int]]:
    """Encoding for text and the units each character takes in it."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        return "GSM-7", [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _parts(costs: list[int], per_part: int) -> int:
    """Parts needed when no character (escape pair, surrogate pair) is split between parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def analyse(text: str) -> SegmentInfo:
    """Encoding, length and segment count of text as sent (in NFC); empty text is 0 segments.

    Callers must send the NFC form too: in NFD, "à" is "a" plus a combining mark and
    would force UCS-2.
    """
    encoding, costs = _costs(unicodedata.normalize("NFC", text))
    total = sum(costs)
    single, per_part = _LIMITS[encoding]
    if total == 0:
        segments = 0
    elif total <= single:
        segments = 1
    else:
        segments = _parts(costs, per_part)
    return SegmentInfo(encoding=encoding, characters=total, segments=segments)
