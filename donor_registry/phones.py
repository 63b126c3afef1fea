"""Phone numbers: Vietnamese input forms to E.164 with phonenumbers, legacy 11-digit mapping.

Only Vietnamese (+84) numbers are accepted: the registry reaches donors through Vietnamese
SMS routes, and a foreign number is far more often a typo than a donor abroad.
"""

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType

# 11-digit mobile prefixes retired in 2018 (Decision 798/QĐ-BTTTT), without the trunk 0:
# "162xxxxxxx" became "32xxxxxxx" (the last 7 digits are kept).
LEGACY_PREFIXES: dict[str, str] = {
    **{f"16{d}": f"3{d}" for d in "23456789"},  # Viettel 0162-0169 -> 032-039
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}

_SHAPE = re.compile(r"\(?\+?[\d\s().\-/]+", re.ASCII)
_NON_DIGIT = re.compile(r"\D", re.ASCII)
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    # No VN range is ambiguous today; if one appears, trying SMS costs one failed send
    # (Twilio 21614), while calling it a landline would silently drop a reachable donor.
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.VOIP: "landline",
}
# Fast path: the two patterns that matter, taken from phonenumbers' own VN metadata, so a
# full number_type() call (about 15 us: it tries every type) is only needed for the rest.
_VN = phonenumbers.PhoneMetadata.metadata_for_region("VN")
_FAST_KINDS = (
    (re.compile(_VN.mobile.national_number_pattern), "mobile"),
    (re.compile(_VN.fixed_line.national_number_pattern), "landline"),
)
LOOKUP_CACHE_SIZE = 2**19  # distinct inputs remembered by normalize_phone (bulk paths use phone_or_reason)
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.UAN: "a service number",
}


class Phone(NamedTuple):
    """A normalised Vietnamese phone number (a tuple: an import makes hundreds of thousands)."""

    e164: str
    kind: str  # "mobile" | "landline"

    @property
    def sms_capable(self) -> bool:
        """Whether the number can receive SMS (mobiles only)."""
        return self.kind == "mobile"


class InvalidPhone(ValueError):
    """Raised when input is not a usable Vietnamese phone number."""

    def __init__(self, raw: str, reason: str):
        super().__init__(f"{raw!r} is not a valid phone number: {reason}")
        self.raw = raw
        self.reason = reason


def _national_digits(text: str) -> str | None:
    """National significant digits of a VN number, or None when it is foreign."""
    digits = _NON_DIGIT.sub("", text)
    if "+" in text:
        digits = "00" + digits
    if digits.startswith("00"):
        if not digits.startswith("0084"):
            return None
        national = digits[4:]
        return national.removeprefix("0")  # "+84 (0)912..."
    if digits.startswith("84") and len(digits) in (11, 12):
        return digits[2:]
    if digits.startswith("0"):
        return digits[1:]
    return digits  # the leading 0 lost in a spreadsheet number cell


def phone_or_reason(raw: str) -> Phone | str:
    """Phone for raw, or the reason it is invalid; not cached, for callers that parse each number once."""
    text = raw.strip()
    if len(text) in (10, 11) and text.isascii() and text.isdigit() and text[0] == "0" and text[1] != "0":
        national = text[1:]  # the usual "0912345678": nothing to strip
    else:
        if not text:
            return "it is empty"
        if not _SHAPE.fullmatch(text):
            return "it may contain only digits, spaces and + ( ) . - /"
        national = _national_digits(text)
        if national is None:
            return "only Vietnamese (+84) numbers are accepted"
    if len(national) == 10 and national[:3] in LEGACY_PREFIXES:
        national = LEGACY_PREFIXES[national[:3]] + national[3:]
    if len(national) < 8:
        return "too few digits"
    if len(national) > 10 or national[0] == "0":
        return "not a Vietnamese number"
    for pattern, kind in _FAST_KINDS:
        if pattern.fullmatch(national):
            return Phone(e164="+84" + national, kind=kind)
    number_type = phonenumbers.number_type(PhoneNumber(country_code=84, national_number=int(national)))
    if number_type in _KINDS:
        return Phone(e164="+84" + national, kind=_KINDS[number_type])
    if number_type in _SERVICE_TYPES:
        return f"{_SERVICE_TYPES[number_type]}, not a personal phone"
    return "not a Vietnamese mobile or landline number"


# Numbers typed by coordinators and SMS senders repeat; bad inputs are cached too, so they stay cheap.
_lookup = lru_cache(maxsize=LOOKUP_CACHE_SIZE)(phone_or_reason)


def normalize_phone(raw: str) -> Phone:
    """Parse a Vietnamese phone number in any common form into a Phone; raise InvalidPhone."""
    result = _lookup(raw or "")
    if isinstance(result, str):
        raise InvalidPhone(raw, result)
    return result


def mask_phone(e164: str) -> str:
    """Mask an E.164 number for lists and logs, e.g. "+84 91x xxx 678"."""
    if not re.fullmatch(r"\+\d{7,15}", e164):
        raise ValueError(f"{e164!r} is not an E.164 number")
    country = "84" if e164.startswith("+84") else str(phonenumbers.parse(e164).country_code)
    national = e164[1 + len(country):]
    if len(national) < 8:
        return f"+{country} " + "x" * (len(national) - 3) + national[-3:]
    head = national[:2] + "x" * (len(national) - 8)
    return f"+{country} {head} xxx {national[-3:]}"


# A phone number inside free text: E.164 (+84912345678) or the national form (0912345678,
# 0912 345 678, 0912.345.678), as a gateway's error message or a log line may carry it.
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+\d{7,15}|0\d{2,3}(?:[ .\-]?\d){6,8})(?!\d)")


def mask_phones_in(text: str) -> str:
    """The text with every phone number in it masked, for logs and error messages."""

    def masked(match: re.Match) -> str:
        found = match.group()
        if found.startswith("+"):
            return mask_phone(found)
        digits = _NON_DIGIT.sub("", found)
        return digits[:2] + "x" * (len(digits) - 5) + digits[-3:]

    return _PHONE_IN_TEXT.sub(masked, text)
