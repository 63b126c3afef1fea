"""Pure rules of the donor's record: availability windows, one-time codes, rate limits, masking."""

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ALL_DAYS = 0b1111111
WEEKDAYS = 0b0011111
CODE_DIGITS = 6


@dataclass(frozen=True)
class Availability:
    weekdays: int = ALL_DAYS  # bit 0 = Monday
    from_minute: int | None = None
    until_minute: int | None = None
    not_until: dt.date | None = None


def local_moment(now: dt.datetime) -> tuple[dt.date, int, int]:
    """(local date, weekday bit, minute of day) of a UTC moment in Vietnam."""
    local = now.astimezone(VIETNAM)
    return local.date(), 1 << local.weekday(), local.hour * 60 + local.minute


def available_at(availability: Availability | None, now: dt.datetime) -> bool:
    """Whether the donor may be called at `now` (no availability recorded: always)."""
    if availability is None:
        return True
    day, bit, minute = local_moment(now)
    if availability.not_until is not None and day < availability.not_until:
        return False
    if not availability.weekdays & bit:
        return False
    if availability.from_minute is not None and minute < availability.from_minute:
        return False
    return availability.until_minute is None or minute < availability.until_minute


def parse_minute(text: str) -> int | None:
    """'17:00' → 1020; '' → None; ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= int(hours) <= 24 or not 0 <= int(minutes or 0) < 60 or value > 24 * 60:
        raise ValueError(text)
    return value


def minute_text(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def weekday_bits(days: list[int]) -> int:
    """[0, 1, 2] (Monday…Wednesday) → the bit mask."""
    return sum(1 << d for d in set(days) if 0 <= d <= 6)


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def code_hash(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code.strip()}".encode()).hexdigest()


def code_matches(code: str, salt: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(code_hash(code, salt), stored)


@dataclass(frozen=True)
class CodeState:
    expires_at: dt.datetime
    attempts: int
    used: bool


def code_usable(state: CodeState, now: dt.datetime, max_attempts: int) -> bool:
    """A code may be tried while unexpired, unused and under the attempt limit."""
    return not state.used and now < state.expires_at and state.attempts < max_attempts


def within_limit(recent_count: int, limit: int) -> bool:
    return recent_count < limit


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn An' → 'N. V. An' (the given name only in full)."""
    words = full_name.split()
    return " ".join([w[0] + "." for w in words[:-1]] + words[-1:])
