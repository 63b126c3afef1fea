"""Cell values as spreadsheets hold them -> registry values; each bad value raises ValueError(reason)."""

import datetime as dt
import re

from donor_registry import phones
from donor_registry.donors import normalize
from donor_registry.errors import UserError
from donor_registry.i18n import _
from donor_registry.phones import InvalidPhone
from donor_registry.text import (
    CONTROL_CHARACTER,
    control_character_reason,
    fold,
    nfc,
    normalize_name,
)
from donor_registry.types import ConsentChannel, DonationType, Sex, parse_blood_group

EXCEL_EPOCH = dt.date(1899, 12, 30)
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_YEAR = re.compile(r"\d{4}")
_SERIAL = re.compile(r"\d{4,5}(?:\.0+)?")
_VOLUME = re.compile(r"(\d{2,4})(?:[.,]0+)?\s*(?:ml|cc)?", re.IGNORECASE)

SEXES = {"nam": Sex.male, "male": Sex.male, "m": Sex.male, "trai": Sex.male,
         "nu": Sex.female, "female": Sex.female, "f": Sex.female, "gai": Sex.female,
         "": Sex.unknown, "khac": Sex.unknown, "unknown": Sex.unknown}
DONATION_TYPES = {
    **dict.fromkeys(["", "mau toan phan", "toan phan", "mau", "mtp", "whole blood", "whole_blood"],
                    DonationType.whole_blood),
    **dict.fromkeys(["tieu cau", "tieu cau gan tach", "gan tach tieu cau", "platelet", "platelets",
                     "platelet apheresis", "platelet_apheresis"], DonationType.platelet_apheresis),
    **dict.fromkeys(["huyet tuong", "gan tach huyet tuong", "plasma", "plasma apheresis",
                     "plasma_apheresis"], DonationType.plasma_apheresis),
    **dict.fromkeys(["hong cau", "khoi hong cau", "gan tach hong cau", "red cells", "red cell",
                     "red cell apheresis", "red_cell_apheresis"], DonationType.red_cell_apheresis),
}


def text(raw) -> str:
    """A cell as trimmed text ('' for an empty cell; 350.0 from Excel as '350'); a control
    character (NUL, say) is refused."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    value = str(raw).strip()
    if CONTROL_CHARACTER.search(value):
        raise ValueError(control_character_reason(value) + "; remove it from the cell")
    return value


def name(raw) -> tuple[str, str]:
    """(NFC name with classic tone placement, folded search key)."""
    value = text(raw)
    if not value:
        raise ValueError(_("the name is empty"))
    full = normalize_name(value)
    if len(full) > 200:
        raise ValueError(_("the name is longer than 200 characters"))
    return full, fold(full)


def date(raw, *, what: str = "date") -> dt.date:
    """dd/mm/yyyy, yyyy-mm-dd, an Excel date cell or an Excel day number."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    value = text(raw)
    try:
        if match := _DAY_FIRST.fullmatch(value):
            day, month, year = map(int, match.groups())
            return dt.date(year, month, day)
        if match := _ISO.fullmatch(value):
            return dt.date(*map(int, match.groups()))
        if isinstance(raw, (int, float)) or _SERIAL.fullmatch(value):
            return EXCEL_EPOCH + dt.timedelta(days=int(float(value)))
    except ValueError:
        raise ValueError(_("'{value}' is not a real {what}").format(value=value, what=what)) from None
    raise ValueError(_("'{value}' is not a {what}; write it as 31/12/2025 or 2025-12-31").format(
                         value=value, what=what))


def birth(raw, *, today: dt.date) -> tuple[dt.date | None, int | None]:
    """(date of birth, birth year) from a full date or a year alone; empty is (None, None)."""
    value = text(raw)
    if not value:
        return None, None
    if _YEAR.fullmatch(value):
        return None, year(value, today=today)
    born = date(raw, what=_("date of birth"))
    if born > today:
        raise ValueError(_("the date of birth {born:%d/%m/%Y} is in the future").format(born=born))
    if born.year < 1900:
        raise ValueError(_("the date of birth {born:%d/%m/%Y} is before 1900").format(born=born))
    return born, born.year


def year(raw, *, today: dt.date) -> int | None:
    """A birth year between 1900 and this year; empty is None."""
    value = text(raw)
    if not value:
        return None
    if not _YEAR.fullmatch(value):
        raise ValueError(_("'{value}' is not a year").format(value=value))
    number = int(value)
    if not 1900 <= number <= today.year:
        raise ValueError(_("the birth year {number} is not between 1900 and {year}").format(
                             number=number, year=today.year))
    return number


def sex(raw) -> Sex:
    """Nam / Nữ (or male / female); empty is unknown."""
    value = SEXES.get(fold(text(raw)))
    if value is None:
        raise ValueError(_("'{text}' is not a sex; write Nam or Nữ").format(text=text(raw)))
    return value


def blood_group(raw):
    """(ABO, Rh) from 'O+', 'AB Rh-', 'B' ...; empty is unknown."""
    return parse_blood_group(text(raw))


def phone(raw) -> tuple[str | None, bool]:
    """(E.164, SMS-capable); legacy 11-digit mobiles are mapped; empty is (None, False)."""
    value = text(raw)
    if not value:
        return None, False
    if isinstance(raw, (int, float)) and not value.startswith("0"):
        value = "0" + value  # a number cell drops the leading 0
    # Uncached: an import parses each distinct donor once, so a cache would only hold memory.
    parsed = phones.phone_or_reason(value)
    if isinstance(parsed, str):
        raise InvalidPhone(value, parsed)  # a ValueError with a plain message
    return parsed.e164, parsed.sms_capable


def national_id(raw) -> str | None:
    """A 12-digit CCCD or 9-digit CMND; empty is None."""
    value = text(raw)
    if isinstance(raw, (int, float)) and value.isdigit():
        # A number cell drops leading zeros, and CCCD numbers start with a 0 province code.
        value = value.zfill(12) if len(value) in (10, 11) else value.zfill(9) if len(value) == 8 else value
    if not value:
        return None
    try:
        return normalize.national_id(value)
    except UserError as exc:
        raise ValueError(str(exc)) from None


def place(raw) -> tuple[str | None, str | None]:
    """(place as written, NFC; folded key) or (None, None) when empty."""
    value = text(raw)
    if not value:
        return None, None
    written = normalize.place(value)
    if len(written) > 100:
        raise ValueError(_("longer than 100 characters"))
    return written, normalize.area_key(written)


def address(raw) -> str | None:
    """A street address, NFC; empty is None."""
    value = text(raw)
    if not value:
        return None
    written = normalize.place(value)
    if len(written) > 300:
        raise ValueError(_("the address is longer than 300 characters"))
    return written


def weight(raw) -> float | None:
    """Weight in kg (20-250); empty is None."""
    value = text(raw).lower().removesuffix("kg").strip().replace(",", ".")
    if not value:
        return None
    try:
        kg = float(value)
    except ValueError:
        raise ValueError(_("'{value}' is not a weight in kg").format(value=value)) from None
    if not 20 <= kg <= 250:
        raise ValueError(_("a weight of {kg:g} kg is not believable").format(kg=kg))
    return kg


def donation_type(raw) -> DonationType:
    """Máu toàn phần / Tiểu cầu / Huyết tương / Hồng cầu (or English); empty is whole blood."""
    value = DONATION_TYPES.get(fold(text(raw)))
    if value is None:
        raise ValueError(_("'{text}' is not a donation type; write Máu toàn phần, Tiểu cầu, "
                           "Huyết tương or Hồng cầu").format(text=text(raw)))
    return value


def volume(raw) -> int | None:
    """Volume in ml (1-1000): '350', '350 ml', 350.0; empty is None."""
    value = text(raw)
    if not value:
        return None
    match = _VOLUME.fullmatch(value)
    if match is None or not 0 < int(match.group(1)) <= 1000:
        raise ValueError(_("'{value}' is not a volume in ml between 1 and 1000").format(
                             value=value))
    return int(match.group(1))


def certificate(raw) -> str | None:
    """A certificate number, trimmed; empty is None."""
    value = text(raw)
    if len(value) > 50:
        raise ValueError(_("the certificate number is longer than 50 characters"))
    return value or None


def site(raw) -> str | None:
    """Where the donation took place, NFC; empty is None."""
    value = text(raw)
    if not value:
        return None
    written = normalize.place(value)
    if len(written) > 200:
        raise ValueError(_("the site is longer than 200 characters"))
    return written


def deferral_reason(raw) -> str | None:
    """Why a donor was deferred at the drive, NFC; empty is None (the row is a donation)."""
    value = " ".join(text(raw).split())
    if not value:
        return None
    if len(value) > 300:
        raise ValueError(_("the deferral reason is longer than 300 characters"))
    return nfc(value)


def deferral_until(raw) -> dt.date | None:
    """The day a deferral ends; empty is None (until further notice)."""
    return date(raw, what=_("deferral end date")) if text(raw) or isinstance(raw, dt.date) else None


_YES = frozenset({"co", "x", "dong y", "yes", "y", "1", "true", "\u2713", "\u2714"})
_NO = frozenset({"", "khong", "no", "n", "0", "false"})


def consent(raw) -> ConsentChannel | None:
    """Consent given on the list ("Có", "x", yes) -> the import channel; blank or "Không" -> None."""
    value = fold(text(raw))
    if value in _YES or raw is True:
        return ConsentChannel.import_file
    if value in _NO or raw is False:
        return None
    raise ValueError(_("'{text}' is not a yes or no; write Có (or x) or leave it empty").format(
                         text=text(raw)))


def notes(raw) -> str | None:
    """Free text, trimmed; empty is None."""
    return text(raw) or None

