"""What chapters need from the official units: codes checked, and a chapter's default name."""

import re

from donor_registry.errors import UserError
from donor_registry.i18n import _

_PROVINCE = re.compile(r"\d{2}")
_COMMUNE = re.compile(r"\d{5}")


def province_code_of(text: str) -> str:
    """The official province code given (two digits, "92")."""
    code = text.strip()
    if not _PROVINCE.fullmatch(code):
        raise UserError(_("“{text}” is not a province code (two digits, e.g. 92)").format(text=text))
    return code


def commune_code_of(text: str, *, province_code: str | None = None) -> str:
    """The official commune code given (five digits, "31507")."""
    code = text.strip()
    if not _COMMUNE.fullmatch(code):
        raise UserError(_("“{text}” is not a commune code (five digits, e.g. 31507)").format(text=text))
    return code


def chapter_name(*, province_code: str | None = None, commune_code: str | None = None) -> str:
    """The usual name of a province's or commune's chapter ("" when it is not known)."""
    return ""
