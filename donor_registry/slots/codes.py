"""A booking's check-in code: six characters a donor reads out or shows as a QR code at the drive.

Pure functions of values (the random source is a parameter). The alphabet leaves out what is
misread on a phone screen or said aloud: 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B,
U/V; it is upper case only and typing is forgiving (`normalise`: case, spaces and dashes).
22 characters to the sixth power is 113 million codes: drawing one not among a drive's active
bookings takes one try in practice, and the database's unique index (per drive, active
bookings) stays the guarantee.
"""

import random
import secrets
from collections.abc import Container

ALPHABET = "ACDEFGHJKMNPRTWXY34679"
LENGTH = 6
_SYSTEM = secrets.SystemRandom()


def draw(taken: Container[str] = (), rng: random.Random | None = None) -> str:
    """A code not in `taken` (the drive's active bookings' codes)."""
    rng = rng or _SYSTEM
    while True:
        code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        if code not in taken:
            return code


def normalise(typed: str) -> str | None:
    """The code as typed by a coordinator, or None when it cannot be one (wrong length or letters)."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code
