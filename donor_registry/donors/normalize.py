"""Turning what a coordinator or a spreadsheet gives into the registry's canonical values."""

import datetime as dt
import re

from donor_registry.errors import UserError
from donor_registry.i18n import _, formatting
from donor_registry.phones import InvalidPhone, normalize_phone
from donor_registry.text import fold, normalize_name

_NATIONAL_ID = re.compile(r"\d{12}|\d{9}")
_SEPARATORS = re.compile(r"[\s.\-]")


def national_id(raw: str | None) -> str | None:
    """A 12-digit CCCD or 9-digit CMND with spaces and dots removed; None when blank."""
    if raw is None:
        return None
    if raw.__class__ is str and raw.isascii() and raw.isdigit() and len(raw) in (9, 12):
        return raw  # already bare digits, as most spreadsheets hold them
    digits = _SEPARATORS.sub("", str(raw))
    if not digits:
        return None
    if not _NATIONAL_ID.fullmatch(digits):
        raise UserError(_("national ID '{raw}' must be 12 digits (CCCD) or 9 digits (CMND)").format(
                            raw=raw))
    return digits


def phone(raw: str | None) -> tuple[str | None, bool]:
    """(E.164, SMS-capable) for a phone in any Vietnamese format; (None, False) when blank."""
    if raw is None or not str(raw).strip():
        return None, False
    try:
        parsed = normalize_phone(str(raw))
    except InvalidPhone as exc:
        raise UserError(str(exc)) from exc
    return parsed.e164, parsed.sms_capable


def area_key(raw: str | None) -> str | None:
    """The folded form of a commune / district / province used for filters ('Xã Tân Lập' = 'xa tan lap')."""
    if raw is None or not raw.strip():
        return None
    return fold(raw)


def place(raw: str | None) -> str | None:
    """A place name as entered, NFC and trimmed; None when blank."""
    if raw is None or not raw.strip():
        return None
    return normalize_name(raw)


def birth(date_of_birth: dt.date | None, birth_year: int | None, today: dt.date) -> tuple[dt.date | None, int | None]:
    """Check a birth date or year is in the past and consistent; the year follows the date."""
    if date_of_birth is not None:
        if date_of_birth > today:
            raise UserError(_("date of birth {date_of_birth} is in the future").format(
                                date_of_birth=formatting.date(date_of_birth)))
        if birth_year is not None and birth_year != date_of_birth.year:
            raise UserError(_("birth year {birth_year} does not match date of birth "
                              "{date_of_birth}").format(
                                birth_year=birth_year, date_of_birth=formatting.date(date_of_birth)))
        return date_of_birth, date_of_birth.year
    if birth_year is not None and not (1900 <= birth_year <= today.year):
        raise UserError(_("birth year {birth_year} is not between 1900 and {year}").format(
                            birth_year=birth_year, year=today.year))
    return None, birth_year
